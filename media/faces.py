"""Frontal faces in a JPEG with OpenCV's Haar cascade (where this OpenCV build ships one)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

FACE_MAX_EDGE = 640  # Haar cost grows with pixels; faces in an ad frame stay far above its window
# a face that opens the ad is on screen by 0.5 s (after a fade-in) or by 1.5 s (after a first quick shot)
FACE_INSTANTS_S = (0.5, 1.5)
FACE_FRAME_MAX_EDGE = 640  # detect_faces shrinks to 640 anyway: encoding a larger JPEG is wasted work
FACE_JPEG_QUALITY = 85
# the cascade's window grows 20 % a scale, and a face needs 6 overlapping hits: against the earlier 10 % and 8, as
# many faces found (a photographed face at 1/7 to 1/2 of the short edge, blurred, faded or noisy) with fewer false
# hits on textures, in ~55 % of the time (bench/README.md, "Face detector"); no hit on 300 busy synthetic frames
SCALE_STEP, MIN_NEIGHBOURS = 1.2, 6

# one thread per detection: the media queue runs one activity per core, and OpenCV's pool (one per core,
# spinning while it waits) then had two detections' four threads fight over two cores with the uploads
cv2.setNumThreads(1)

_local = threading.local()  # CascadeClassifier is not documented thread-safe: one per worker thread


def _cascade() -> Any | None:
    """The frontal-face Haar cascade, or None where this OpenCV has none (5.x moved it to contrib)."""
    if not hasattr(_local, "cascade"):
        make = getattr(cv2, "CascadeClassifier", None)
        folder = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or "/nonexistent")
        path = folder / "haarcascade_frontalface_default.xml"
        cascade = make(str(path)) if make is not None and path.is_file() else None
        _local.cascade = None if cascade is None or cascade.empty() else cascade
    return _local.cascade


def face_detector_available() -> bool:
    """Whether this OpenCV build ships the Haar cascade detect_faces needs."""
    return _cascade() is not None


class FaceDetectorUnavailable(RuntimeError):
    """This OpenCV has no Haar cascade: face presence cannot be measured."""


def detect_faces(jpeg: bytes) -> int:
    """Frontal faces the Haar cascade finds in a JPEG (0 for an undecodable image)."""
    return faces_in_image(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE))


def faces_in_image(image: np.ndarray | None, scale_step: float = SCALE_STEP, neighbours: int = MIN_NEIGHBOURS) -> int:
    """Frontal faces in a grey image (0 for None: undecodable), looked for within FACE_MAX_EDGE; other settings are
    for bench/face_detector.py."""
    cascade = _cascade()
    if cascade is None:
        raise FaceDetectorUnavailable("this OpenCV has no Haar cascades (opencv-python-headless<5 has)")
    if image is None:
        return 0
    if (scale := FACE_MAX_EDGE / max(image.shape)) < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # faces under 1/8 of the short edge are background, not what an ad shows
    side = max(24, min(image.shape) // 8)
    found = cascade.detectMultiScale(cv2.equalizeHist(image), scale_step, neighbours, minSize=(side, side))
    return len(found)


def face_in(jpegs: list[bytes]) -> bool | None:
    """Whether any of the JPEGs shows a frontal face; None without a face detector."""
    try:
        return any(detect_faces(jpeg) > 0 for jpeg in jpegs)
    except FaceDetectorUnavailable:
        return None
