"""Which instants the analysis frames are taken at, and how large they are."""

from __future__ import annotations

# a requested instant closer than this to the end has no frame at or after it
END_MARGIN_S = 0.05
# a short video's late frame (the CTA) comes from the middle of its last second
LAST_SECOND_OFFSET_S = 0.5
FRAME_LABELS = ("hook", "body", "cta")


def frame_instant(requested_s: float, duration_s: float) -> float:
    """The instant to read: the requested one, or the video's last second when it is too short."""
    if requested_s <= duration_s - END_MARGIN_S:
        return max(0.0, requested_s)
    return max(0.0, duration_s - LAST_SECOND_OFFSET_S)


def scaled_size(width: int, height: int, max_edge: int) -> tuple[int, int]:
    """Keep the aspect ratio, long edge at most max_edge, even sides (what JPEG/YUV encoders like)."""
    scale = min(1.0, max_edge / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)
