"""Faces ~0.5 s and ~1.5 s into each shot, from frames the shot pass decodes anyway, in both framings: what a
clip opening on that shot would find (media.clipping.face_in_first_seconds) without decoding the clip again."""

from __future__ import annotations

import bisect

import av
import numpy as np

from media.clipping import FACE_INSTANTS_S
from media.faces import face_detector_available, faces_in

# a pass whose histogram jumps this many times is churning, not cutting: later shots are left to the clips' own check
MAX_SHOTS = 200


class ShotFaces:
    """Face checks of shot openings as the pass's frames go by (decode order is presentation order here)."""

    def __init__(self) -> None:
        self.enabled = False
        self.crop: tuple[int, int] | None = None
        self.wanted: list[tuple[float, float]] = []  # (frame time to look at, shot start), sorted
        self.seen: dict[float, list[tuple[bool, bool | None]]] = {}

    def start(self, upright: bool, crop: tuple[int, int] | None) -> None:
        """At the first frame: look only at upright pictures (clips of rotated ones are turned), crop if cropped."""
        self.enabled, self.crop = upright and face_detector_available(), crop
        self.shot(0.0)

    def shot(self, start: float) -> None:
        """A shot opens at start: look at its frames at each FACE_INSTANTS_S."""
        if not self.enabled or start in self.seen or len(self.seen) >= MAX_SHOTS:
            return
        self.seen[start] = []
        for offset in FACE_INSTANTS_S:
            bisect.insort(self.wanted, (round(start + offset, 3), start))

    def frame(self, frame: av.VideoFrame, t: float) -> None:
        """A decoded frame: the first shown at or after a wanted instant is looked at, whole and cropped to 9:16."""
        if not self.wanted or t + 1e-3 < self.wanted[0][0]:
            return
        gray: np.ndarray = frame.to_ndarray(format="gray")
        whole, cropped = faces_in(gray) > 0, None
        if self.crop is not None:
            (cw, ch), (h, w) = self.crop, gray.shape
            top, left = (h - ch) // 2, (w - cw) // 2
            cropped = faces_in(np.ascontiguousarray(gray[top : top + ch, left : left + cw])) > 0
        while self.wanted and t + 1e-3 >= self.wanted[0][0]:
            self.seen[self.wanted.pop(0)[1]].append((whole, cropped))

    def results(self, starts: list[float]) -> list[tuple[float, bool, bool | None]]:
        """(start, face in the original framing, in the 9:16 crop or None) for the shots looked at in full."""
        found = []
        for start in starts:
            looks = self.seen.get(round(start, 3), [])
            if len(looks) == len(FACE_INSTANTS_S):
                crop = None if self.crop is None else any(c for _, c in looks)
                found.append((start, any(w for w, _ in looks), crop))
        return found
