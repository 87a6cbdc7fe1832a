"""Probing a stored video: container, codec, duration, size, audio; anything not a whole video is refused."""

from __future__ import annotations

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from domain.failures import InvalidVideo
from media.source import open_video, reason, video_duration
from models.schemas.media import VideoProbe

MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"


def probe_url(url: str, size_bytes: int) -> VideoProbe:
    """Open with FFmpeg (PyAV), decode the first frame and one near the end (catches truncation)."""
    with open_video(url) as (container, stream):
        duration = video_duration(container, stream)
        if duration <= 0:
            raise InvalidVideo("the video has no duration (a still image?)")
        _decode_one(container, stream, at_seconds=0.0, what="first frame")
        _decode_one(container, stream, at_seconds=max(0.0, duration - 1.0), what="last second")
        return VideoProbe(
            container=container.format.name,
            extension=_extension(container.format.name, stream.codec_context.name),
            codec=stream.codec_context.name,
            duration_s=round(duration, 3),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            has_audio=bool(container.streams.audio),
            size_bytes=size_bytes,
        )


def _decode_one(container: InputContainer, stream: VideoStream, *, at_seconds: float, what: str) -> None:
    try:
        if at_seconds > 0 and stream.time_base is not None:
            container.seek(int(at_seconds / stream.time_base), stream=stream, backward=True)
        for _frame in container.decode(stream):
            return
    except (av.error.FFmpegError, EOFError) as exc:
        raise InvalidVideo(f"the video is damaged or truncated: cannot decode its {what} ({reason(exc)})") from None
    raise InvalidVideo(f"the video is damaged or truncated: no frame at its {what}")


def _extension(format_name: str, codec: str) -> str:
    if format_name == MP4_FAMILY:
        return "mp4"
    if "webm" in format_name or "matroska" in format_name:
        return "webm" if codec in {"vp8", "vp9", "av1"} else "mkv"
    raise InvalidVideo(f"unsupported container '{format_name}': use MP4, MOV or WebM")
