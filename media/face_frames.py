"""The face check of every shot opening, from the shot pass's own frames: what a clip opening there shows at 0.5
and 1.5 s, whole and cropped to 9:16.

A clip's face check used to decode the clip's first 1.5 s (an original one also its hidden lead-in) once per start
and framing: about a tenth of a decode per candidate. The pass decodes those frames anyway; it encodes each as the
small grey JPEG the clip's own check would look at, and checks every opening's pair while it decodes
(`media.face_checks`), so the plan ranks openings by a face too and each clip takes its opening's answer.
"""

from __future__ import annotations

from types import TracebackType

import cv2
import numpy as np

from domain.clip_plan import TIME_EPS_S
from media.face_checks import BackgroundFaceChecks
from media.faces import FACE_FRAME_MAX_EDGE, FACE_INSTANTS_S, FACE_JPEG_QUALITY

# openings looked at (4 JPEGs of ~20-40 kB each, until checked): a pass sees about one per shot, and a busy video
# several per shot (a jump that is no cut); past it, a clip looks at its own first seconds as before
OPENINGS_KEPT = 256

Opening = tuple[float, bool]  # (start in the clip plan's time, 9:16)


class FaceFrames:
    """Per shot opening and framing, the JPEGs of its face instants, each pair checked for a face once complete.

    A context manager: leaving it ends the checks' thread (a pass that failed or stopped leaves none behind).
    """

    def __init__(self, limit: int = OPENINGS_KEPT):
        self.limit = limit
        self.jpegs: dict[Opening, list[bytes]] = {}  # instants kept so far, until the opening's last one
        self.openings: set[float] = set()
        self.due: list[tuple[float, float]] = []  # (source time of an instant, opening) not reached yet
        self.crop: tuple[int, int] | None = None  # the 9:16 centre crop's size in source pixels, when there is one
        self.checks: BackgroundFaceChecks[Opening] = BackgroundFaceChecks()

    def __enter__(self) -> FaceFrames:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.checks.close()

    def open(self, opening: float, first_frame_s: float) -> None:
        """A shot may open at first_frame_s: keep the frames its clips would show at the face instants."""
        opening = opening_key(opening)
        if len(self.openings) >= self.limit or opening in self.openings:
            return
        self.openings.add(opening)
        self.due += [(first_frame_s + instant, opening) for instant in FACE_INSTANTS_S]
        self.due.sort()

    def wants(self, t: float) -> bool:
        return bool(self.due) and self.due[0][0] <= t + TIME_EPS_S

    def add(self, t: float, grey: np.ndarray) -> None:
        """The frame shown at t (its luma, upright, source size): kept for every opening whose instant it is."""
        original = _jpeg(grey)
        vertical = _jpeg(_centre(grey, self.crop)) if self.crop is not None else None
        while self.wants(t):
            _, opening = self.due.pop(0)
            self._keep((opening, False), original)
            if vertical is not None:
                self._keep((opening, True), vertical)

    def _keep(self, key: Opening, jpeg: bytes) -> None:
        kept = self.jpegs.setdefault(key, [])
        kept.append(jpeg)
        if len(kept) == len(FACE_INSTANTS_S):  # the opening's last instant: checked from now on, no longer kept
            self.checks.submit(key, self.jpegs.pop(key))

    def answers(self) -> dict[Opening, bool | None]:
        """After the pass: per opening and framing whose every instant was seen, whether a face shows (None: no
        face detector here). Waits for the checks not done yet, run at normal priority."""
        return self.checks.answers()


def opening_key(t: float) -> float:
    """Openings are compared at the millisecond, as the plan's starts are rounded."""
    return round(t, 3)


def _centre(grey: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    """The centre crop, as the crop filter takes it (x and y default to the centred position)."""
    h, w = grey.shape
    x, y = (w - crop[0]) // 2, (h - crop[1]) // 2
    return grey[y : y + crop[1], x : x + crop[0]]


def _jpeg(grey: np.ndarray) -> bytes:
    """A grey JPEG within FACE_FRAME_MAX_EDGE, as face_in_first_seconds hands them to the detector."""
    scale = FACE_FRAME_MAX_EDGE / max(grey.shape)
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(grey), [cv2.IMWRITE_JPEG_QUALITY, FACE_JPEG_QUALITY])
    return encoded.tobytes() if ok else b""
