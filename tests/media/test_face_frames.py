"""The face check from the shot pass's frames: per opening and framing, the same answer as the clip's own check."""

from __future__ import annotations

import asyncio
import threading
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from temporalio.testing import ActivityEnvironment

import media.clip_features as clip_features
from activities.clip_media import ClipMediaActivities
from domain.clip_plan import ShotPass, copy_plan
from media.clipping import copy_clip, face_in_first_seconds
from media.face_frames import FaceFrames
from media.faces import face_detector_available
from media.shot_pass import shot_pass
from media.source import Stopped
from models.schemas.clips import CutClipInput, ShotsInput
from settings import Settings
from tests.support.drawn_face import drawn_face

pytestmark = pytest.mark.skipif(not face_detector_available(), reason="this OpenCV ships no Haar cascade")

W, H, FPS, SHOT_S = 1280, 720, 30, 2.0
# per 2 s shot: its background and where a face is (None: no face). The crop keeps x 438-842 of 1280
SHOTS = [(60, None), (110, W // 2 - 150), (170, 20), (220, None)]
OPENINGS = [0.0, 2.0, 4.0, 6.0]
EXPECTED = {  # (opening, vertical): a face early in the clip
    (0.0, False): False, (0.0, True): False,
    (2.0, False): True, (2.0, True): True,  # centred: both framings show it
    (4.0, False): True, (4.0, True): False,  # at the left edge: the 9:16 crop leaves it out
    (6.0, False): False, (6.0, True): False,
}  # fmt: skip


def _render(path: Path) -> Path:
    """Four flat shots (each change a hard cut), a drawn face in two of them, H.264 with a keyframe every 2 s."""
    face = drawn_face(300)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "g": "60", "sc_threshold": "0"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        for i in range(int(len(SHOTS) * SHOT_S * FPS)):
            shade, x = SHOTS[int(i // (SHOT_S * FPS))]
            grey = np.full((H, W), shade, np.uint8)
            grey += (np.arange(W, dtype=np.uint8) // 64)[None, :]  # a faint ramp: not one flat colour
            if x is not None:
                grey[200:500, x : x + 300] = face
            frame = av.VideoFrame.from_ndarray(np.repeat(grey[:, :, None], 3, axis=2), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_each_opening_and_framing_gets_the_answer_its_clip_would(tmp_path: Path) -> None:
    source = _render(tmp_path / "faces.mp4")
    with FaceFrames() as faces:
        shots = shot_pass(str(source), tmp_path / "crop.mp4", 1920, faces=faces)
        answers = faces.answers()
    assert shots.cut_times_s == OPENINGS[1:]
    assert answers == EXPECTED
    for start, vertical in EXPECTED:  # the clips themselves, looked at as before the pass kept frames
        plan = copy_plan(shots, start, start + SHOT_S, vertical)
        assert plan is not None
        given = str(tmp_path / "crop.mp4") if plan.source == "vertical" else str(source)
        clip = copy_clip(given, tmp_path / f"{start}-{vertical}.mp4", (start, start + SHOT_S), plan.stop_dts, True,
                         None, seek_s=plan.seek_s)  # fmt: skip
        assert face_in_first_seconds(clip) is EXPECTED[(start, vertical)], (start, vertical)


def test_only_openings_whose_frames_were_all_seen_are_answered(tmp_path: Path) -> None:
    with FaceFrames(limit=2) as faces:  # the start and the first cut; later openings: the clip's own check
        shot_pass(str(_render(tmp_path / "faces.mp4")), tmp_path / "crop.mp4", 1920, faces=faces)
        assert set(faces.answers()) == {(0.0, False), (0.0, True), (2.0, False), (2.0, True)}


async def test_the_pass_stores_every_opening_s_face_check_and_each_clip_takes_its_own(
    s3: Any, stack_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket, key = stack_settings.r2_client_assets_bucket, f"assets/tests/{uuid.uuid4()}.mp4"
    source = await asyncio.to_thread(_render, tmp_path / "faces.mp4")
    await s3.put_object(Bucket=bucket, Key=key, Body=await asyncio.to_thread(source.read_bytes))
    media, env, video_key = ClipMediaActivities(s3), ActivityEnvironment(), f"r2://{bucket}/{key}"
    shots = await env.run(media.detect_shots, ShotsInput(video_key=video_key, max_candidates=12))
    assert shots.candidates
    stored = await s3.get_object(Bucket=bucket, Key=f"{key}.shots/shots.json")
    kept = ShotPass.model_validate_json(await stored["Body"].read())
    assert {(o.start_s, o.vertical): o.face for o in kept.opening_faces} == EXPECTED

    def decoded(path: Path) -> None:
        raise AssertionError(f"{path} decoded for its face check")

    monkeypatch.setattr(clip_features, "face_in_first_seconds", decoded)
    for candidate in shots.candidates:  # each clip's face feature is the pass's answer for its opening
        params = CutClipInput(video_asset_id=uuid.uuid4(), clip_id=uuid.uuid4(), video_key=video_key,
                              clips_bucket=bucket, start_s=candidate.start_s, end_s=candidate.end_s,
                              vertical_crop=candidate.vertical_crop)  # fmt: skip
        out = await env.run(media.cut_clip, params)
        assert out.features.face_in_first_seconds is EXPECTED[(candidate.start_s, candidate.vertical_crop)]


def test_a_pass_stopped_mid_file_ends_its_threads(tmp_path: Path) -> None:
    source, packets = _render(tmp_path / "faces.mp4"), iter(range(150))
    # stopped with frames in the decoder's threads and the crop's queue, the first opening's faces being checked
    with pytest.raises(Stopped), FaceFrames() as faces:
        shot_pass(str(source), tmp_path / "crop.mp4", 1920, should_stop=lambda: next(packets, None) is None,
                  faces=faces)  # fmt: skip
    assert not [t for t in threading.enumerate() if t.name == "crop-encoder"]
    for thread in [t for t in threading.enumerate() if t.name == "face-checks"]:
        thread.join(timeout=30)  # it ends after the check it is on (at the lowest priority: give it time)
        assert not thread.is_alive()
