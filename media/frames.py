"""Reading the analysis frames out of a video with FFmpeg (PyAV), seeking instead of decoding it all."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import av

from domain.failures import InvalidVideo
from domain.frames import frame_instant, scaled_size
from media.limits import check_frame
from media.source import (
    DECODE_ERRORS,
    DECODER_THREAD_TYPE,
    ShouldStop,
    check_stop,
    decode_failure,
    open_video,
    upright,
    video_duration,
)
from models.schemas.media import MediaLimits

JPEG_QUALITY = 85


@dataclass
class FrameImage:
    requested_s: float
    timestamp_s: float
    width: int
    height: int
    jpeg: bytes


def read_frames(
    url: str,
    timestamps: list[float],
    max_edge: int,
    heartbeat: Callable[[str], None] | None = None,
    *,
    limits: MediaLimits | None = None,
    should_stop: ShouldStop = None,
) -> tuple[list[FrameImage], float]:
    """Upright JPEG frames at the given instants (moved into the last second when the video is shorter)."""
    limits = limits or MediaLimits()
    with open_video(url, range_reads=True, limits=limits) as (container, stream):
        stream.thread_type = DECODER_THREAD_TYPE
        duration = video_duration(container, stream)
        if duration <= 0:
            raise InvalidVideo("the video has no duration")
        images = []
        for requested in timestamps:
            instant = frame_instant(requested, duration)
            frame = _frame_at(container, stream, url, instant, limits, should_stop)
            width, height = scaled_size(frame.width, frame.height, max_edge)
            # scale and convert in one swscale pass, not a full-size RGB copy and then a resize; turned upright
            # after scaling, where it is cheap
            small = frame.reformat(width=width, height=height, format="rgb24", interpolation="BILINEAR").to_image()
            image = upright(small, int(frame.rotation or 0))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
            time = round(float(frame.time or 0.0), 3)
            images.append(FrameImage(requested, time, image.width, image.height, buffer.getvalue()))
            del frame  # one decoded picture at a time: at the size limit each is tens of MB
            if heartbeat is not None:
                heartbeat(f"frame at {instant:.2f}s")
        return images, duration


def _frame_at(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    url: str,
    instant: float,
    limits: MediaLimits,
    should_stop: ShouldStop,
) -> av.VideoFrame:
    """The first frame shown at or after `instant`: seek to the keyframe before it, decode forward."""
    assert stream.time_base is not None
    container.seek(int(instant / stream.time_base), stream=stream, backward=True)
    half_frame = 0.5 / float(stream.average_rate or 30)
    last = None
    try:
        for frame in container.decode(stream):
            check_frame(frame, limits)
            check_stop(should_stop)
            last = frame
            if frame.time is not None and frame.time >= instant - half_frame:
                return frame
    except DECODE_ERRORS as exc:
        raise decode_failure(exc, url, f"cannot decode the frame at {instant:.2f}s") from None
    if last is None:
        raise InvalidVideo(f"no frame at {instant:.2f}s: the video is damaged or truncated")
    return last
