"""Measured features of a registered clip, shared by the end-to-end tests that register clips."""

from __future__ import annotations

from typing import Any

# a 12 s vertical clip that fits every platform: audio, a dynamic start, a face, -14 LUFS
VERTICAL_12S: dict[str, Any] = {
    "duration_s": 12,
    "width": 1080,
    "height": 1920,
    "has_audio": True,
    "cuts_per_5s": 3.5,
    "dynamic_start": True,
    "face_in_first_seconds": True,
    "loudness_lufs": -14,
}
