"""The face check's frames, kept by the shot pass: what a clip opening on each shot shows at 0.5 and 1.5 s.

A clip's face check used to decode the clip's first 1.5 s (an original one also its hidden lead-in) once per start
and framing: about a tenth of a decode per candidate. The pass decodes those frames anyway; it keeps each one as a
small grey JPEG, whole and cropped to 9:16; those of the openings the plan picks are stored with the pass, and
each clip's face check looks at its own two (`media.faces.face_in`).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from domain.clip_plan import TIME_EPS_S, OpeningFrames
from media.faces import FACE_FRAME_MAX_EDGE, FACE_INSTANTS_S, FACE_JPEG_QUALITY

# openings whose frames are kept (4 JPEGs of ~20-40 kB each): a pass sees about one per shot, and a busy video
# several per shot (a jump that is no cut); past it, a clip looks at its own first seconds as before
OPENINGS_KEPT = 256


class FaceFrames:
    """Per shot opening (its start in the clip plan's time) and framing, the JPEGs of its face instants."""

    def __init__(self, limit: int = OPENINGS_KEPT):
        self.limit = limit
        self.jpegs: dict[tuple[float, bool], list[bytes]] = {}
        self.openings: set[float] = set()
        self.due: list[tuple[float, float]] = []  # (source time of an instant, opening) not reached yet
        self.crop: tuple[int, int] | None = None  # the 9:16 centre crop's size in source pixels, when there is one

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
            self.jpegs.setdefault((opening, False), []).append(original)
            if vertical is not None:
                self.jpegs.setdefault((opening, True), []).append(vertical)

    def kept(self, openings: Iterable[tuple[float, bool]]) -> list[OpeningFrames]:
        """The frames of the openings asked (start, vertical) whose every face instant was kept."""
        found = []
        for opening, vertical in sorted(set(openings)):
            jpegs = self.jpegs.get((opening_key(opening), vertical), [])
            if len(jpegs) == len(FACE_INSTANTS_S):
                found.append(OpeningFrames(start_s=opening, vertical=vertical, jpegs=jpegs))
        return found


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
