"""Reading the analysis frames out of a video with FFmpeg (PyAV), seeking instead of decoding it all."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import av

from domain.failures import InvalidVideo
from domain.frames import frame_instant, scaled_size
from media.source import open_video, video_duration

JPEG_QUALITY = 85


@dataclass
class FrameImage:
    requested_s: float
    timestamp_s: float
    width: int
    height: int
    jpeg: bytes


def read_frames(
    url: str, timestamps: list[float], max_edge: int, heartbeat: Callable[[str], None] | None = None
) -> tuple[list[FrameImage], float]:
    """JPEG frames at the given instants (moved into the last second when the video is shorter)."""
    with open_video(url, range_reads=True) as (container, stream):
        stream.thread_type = "AUTO"
        duration = video_duration(container, stream)
        if duration <= 0:
            raise InvalidVideo("the video has no duration")
        images = []
        for requested in timestamps:
            instant = frame_instant(requested, duration)
            frame = _frame_at(container, stream, instant)
            width, height = scaled_size(frame.width, frame.height, max_edge)
            # scale and convert in one swscale pass, not a full-size RGB copy and then a resize
            image = frame.reformat(width=width, height=height, format="rgb24", interpolation="BILINEAR").to_image()
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
            images.append(FrameImage(requested, round(float(frame.time or 0.0), 3), width, height, buffer.getvalue()))
            if heartbeat is not None:
                heartbeat(f"frame at {instant:.2f}s")
        return images, duration


def _frame_at(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, instant: float
) -> av.VideoFrame:
    """The first frame shown at or after `instant`: seek to the keyframe before it, decode forward."""
    assert stream.time_base is not None
    container.seek(int(instant / stream.time_base), stream=stream, backward=True)
    half_frame = 0.5 / float(stream.average_rate or 30)
    last = None
    try:
        for frame in container.decode(stream):
            last = frame
            if frame.time is not None and frame.time >= instant - half_frame:
                return frame
    except av.error.FFmpegError as exc:
        raise InvalidVideo(f"cannot decode the frame at {instant:.2f}s ({exc.strerror})") from None
    if last is None:
        raise InvalidVideo(f"no frame at {instant:.2f}s: the video is damaged or truncated")
    return last
