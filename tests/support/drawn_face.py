"""A cartoon face the Haar cascade finds: the face checks' positive case."""

from __future__ import annotations

import cv2
import numpy as np


def drawn_face(size: int = 300) -> np.ndarray:
    """A blurred cartoon face: skin oval, dark brows and eyes, bright nose bridge, dark mouth."""
    img, c, s = np.full((size, size), 40, np.uint8), size // 2, size / 400

    def oval(dx: int, dy: int, rx: int, ry: int, shade: int) -> None:
        cv2.ellipse(img, (c + int(dx * s), c + int(dy * s)), (int(rx * s), int(ry * s)), 0, 0, 360, shade, -1)

    oval(0, 0, 110, 145, 190)
    for dx in (-45, 45):
        oval(dx, -40, 28, 8, 70)
        oval(dx, -15, 24, 12, 50)
    oval(0, 30, 14, 30, 215)
    oval(0, 60, 20, 6, 120)
    oval(0, 90, 45, 12, 80)
    return cv2.GaussianBlur(img, (0, 0), 3 * s)
