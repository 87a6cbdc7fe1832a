"""The shot pass's background face checks: the same answers as face_in, every one of them by the end, on a thread
of the lowest priority that ends with the checks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from media.face_checks import BACKGROUND_NICENESS, BackgroundFaceChecks
from media.faces import face_detector_available, face_in
from tests.support.drawn_face import drawn_face

pytestmark = pytest.mark.skipif(not face_detector_available(), reason="this OpenCV ships no Haar cascade")


def _jpeg(face: bool, shade: int) -> bytes:
    grey = np.full((360, 640), shade, np.uint8)
    if face:
        grey[40:280, 200:440] = drawn_face(240)
    return cv2.imencode(".jpg", grey)[1].tobytes()


def _checks_thread() -> threading.Thread | None:
    return next((t for t in threading.enumerate() if t.name == "face-checks"), None)


def _ended(thread: threading.Thread) -> bool:
    thread.join(timeout=30)  # a generous bound: the thread finishes the check it is on, at the lowest priority
    return not thread.is_alive()


def test_every_submitted_check_is_answered_as_face_in_answers_it() -> None:
    checks: BackgroundFaceChecks[int] = BackgroundFaceChecks()
    sets = {i: [_jpeg(i % 3 == 0, 30 + i), _jpeg(i % 3 == 1, 60 + i)] for i in range(12)}
    for key, jpegs in sets.items():
        checks.submit(key, jpegs)
    thread = _checks_thread()
    assert thread is not None
    # asked at once: most were not looked at yet, and are checked here
    assert checks.answers() == {key: face_in(jpegs) for key, jpegs in sets.items()}
    assert {key for key, answer in checks.answers().items() if answer} == {i for i in sets if i % 3 != 2}
    assert _ended(thread)
    with pytest.raises(RuntimeError, match="already finished"):
        checks.submit(99, sets[0])


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="thread niceness is read from Linux's /proc")
def test_the_thread_runs_at_the_lowest_priority_and_ends_when_closed() -> None:
    checks: BackgroundFaceChecks[int] = BackgroundFaceChecks()
    checks.submit(0, [_jpeg(True, 30)])
    thread = _checks_thread()
    assert thread is not None and thread.native_id is not None
    stat = Path(f"/proc/self/task/{thread.native_id}/stat")
    deadline = time.monotonic() + 30
    while int(stat.read_text().rsplit(")", 1)[1].split()[16]) != BACKGROUND_NICENESS:  # field 19: nice
        assert time.monotonic() < deadline, "the checks' thread never lowered its priority"
        time.sleep(0.01)
    checks.close()
    assert _ended(thread)
