"""The media limits (models.schemas.media.MediaLimits) checked against a stream's header, before decoding."""

from __future__ import annotations

from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from domain.failures import InvalidVideo
from media.source import video_duration
from models.schemas.media import MediaLimits


def frame_rate(stream: VideoStream) -> float:
    """Frames per second from the header: the average (nb_frames / duration) where known, else FFmpeg's guess."""
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def check_header(container: InputContainer, stream: VideoStream, limits: MediaLimits) -> float:
    """Refuse what the header says is beyond the limits; the duration when it is within them."""
    width, height = stream.codec_context.width, stream.codec_context.height
    # the display rotation is known only from a decoded frame: here either orientation may fit
    if not (_fits(width, height, limits) or _fits(height, width, limits)):
        raise _too_large(width, height, limits)
    duration, fps = video_duration(container, stream), frame_rate(stream)
    if duration > limits.max_duration_s:
        raise InvalidVideo(f"the video is {_clock(duration)} long; the limit is {_clock(limits.max_duration_s)}")
    if fps > limits.max_fps:
        raise InvalidVideo(f"the video runs at {fps:.4g} frames per second; the limit is {limits.max_fps:.4g}")
    frames = stream.frames or round(duration * fps)
    if frames > limits.max_frames:
        raise InvalidVideo(f"the video has {frames:,} frames; the limit is {limits.max_frames:,}")
    return duration


def check_displayed(width: int, height: int, limits: MediaLimits) -> None:
    """Refuse a displayed (upright) size beyond the limits."""
    if not _fits(width, height, limits):
        raise _too_large(width, height, limits)


def check_frame(frame: VideoFrame, limits: MediaLimits) -> None:
    """Refuse a decoded frame larger than the limits: a stream may change size after its header."""
    if not (_fits(frame.width, frame.height, limits) or _fits(frame.height, frame.width, limits)):
        raise _too_large(frame.width, frame.height, limits)


class FrameCounter:
    """Counts decoded frames against the limit: a header can understate them."""

    def __init__(self, limits: MediaLimits):
        self.limit, self.count = limits.max_frames, 0

    def add(self) -> None:
        self.count += 1
        if self.count > self.limit:
            raise InvalidVideo(f"the video has more than {self.limit:,} frames (the limit)")


def _fits(width: int, height: int, limits: MediaLimits) -> bool:
    return width <= limits.max_width and height <= limits.max_height


def _too_large(width: int, height: int, limits: MediaLimits) -> InvalidVideo:
    return InvalidVideo(f"the video is {width}×{height} pixels; the limit is {limits.max_width}×{limits.max_height}")


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{seconds:.1f} s"
