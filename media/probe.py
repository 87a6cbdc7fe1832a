"""Probing a stored video: container, codec, duration, displayed size, audio; anything not a whole video, or
beyond the media limits, is refused before work is spent on it."""

from __future__ import annotations

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from domain.failures import InvalidVideo
from media.limits import check_displayed, check_header
from media.source import DECODE_ERRORS, ShouldStop, check_stop, decode_failure, displayed_size, open_video
from models.schemas.media import MediaLimits, VideoProbe

MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"


def probe_url(
    url: str, size_bytes: int, limits: MediaLimits | None = None, should_stop: ShouldStop = None
) -> VideoProbe:
    """Check the header against the limits, then decode the first frame and one near the end (catches truncation)."""
    limits = limits or MediaLimits()
    with open_video(url, limits=limits) as (container, stream):
        duration = check_header(container, stream, limits)
        if duration <= 0:
            raise InvalidVideo("the video has no duration (a still image?)")
        rotation = _decode_one(container, stream, url, at_seconds=None, what="first frame")
        width, height = displayed_size(stream.codec_context.width, stream.codec_context.height, rotation)
        check_displayed(width, height, limits)
        check_stop(should_stop)
        _decode_one(container, stream, url, at_seconds=max(0.0, duration - 1.0), what="last second")
        return VideoProbe(
            container=container.format.name,
            extension=_extension(container.format.name, stream.codec_context.name),
            codec=stream.codec_context.name,
            duration_s=round(duration, 3),
            width=width,
            height=height,
            has_audio=bool(container.streams.audio),
            size_bytes=size_bytes,
        )


def _decode_one(
    container: InputContainer, stream: VideoStream, url: str, *, at_seconds: float | None, what: str
) -> int:
    """Decode one frame from the start (None) or from a seek to at_seconds; its display rotation."""
    try:
        if at_seconds is not None:
            # always a seek, even to 0: a one-frame video's only frame is behind the decoder after the first read
            if stream.time_base is not None:
                container.seek(int(at_seconds / stream.time_base), stream=stream, backward=True)
            else:
                container.seek(int(at_seconds * av.time_base), backward=True)
        for frame in container.decode(stream):
            return int(frame.rotation or 0)
    except DECODE_ERRORS as exc:
        raise decode_failure(exc, url, f"the video is damaged or truncated: cannot decode its {what}") from None
    raise InvalidVideo(f"the video is damaged or truncated: no frame at its {what}")


def _extension(format_name: str, codec: str) -> str:
    if format_name == MP4_FAMILY:
        return "mp4"
    if "webm" in format_name or "matroska" in format_name:
        return "webm" if codec in {"vp8", "vp9", "av1"} else "mkv"
    raise InvalidVideo(f"unsupported container '{format_name}': use MP4, MOV or WebM")
