"""Opening a video with FFmpeg (PyAV): the one set of input options, stream check and duration rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from domain.failures import InvalidVideo

OPEN_TIMEOUT_S = 30.0
# FFmpeg reads stored objects through presigned URLs: time out a stalled read, reconnect a dropped one
HTTP_OPTIONS = {"rw_timeout": "30000000", "reconnect": "1", "reconnect_streamed": "1"}
# for a few seeks into a long file: 1 MiB range requests on one kept-alive connection. By default FFmpeg
# asks for `bytes=N-` and reads on through forward seeks shorter than its TCP window, so storage would
# send up to a third of the file
RANGE_READ_OPTIONS = {
    "rw_timeout": "30000000",
    "request_size": str(1 << 20),
    "short_seek_size": str(1 << 20),
    "multiple_requests": "1",
}


def is_url(source: str) -> bool:
    return str(source).startswith(("http://", "https://"))


def input_options(source: str, *, range_reads: bool = False) -> dict[str, str]:
    """FFmpeg's input options for a source: the HTTP ones for a URL, none for a local file."""
    if not is_url(source):
        return {}
    return dict(RANGE_READ_OPTIONS if range_reads else HTTP_OPTIONS)


def reason(exc: BaseException) -> str:
    """FFmpeg's own words for a failure, without the URL it was reading."""
    return getattr(exc, "strerror", None) or type(exc).__name__


@contextmanager
def open_video(source: str, *, range_reads: bool = False) -> Iterator[tuple[InputContainer, VideoStream]]:
    """The container and its first video stream; InvalidVideo when it is not a readable video."""
    try:
        container = av.open(str(source), options=input_options(source, range_reads=range_reads), timeout=OPEN_TIMEOUT_S)
    except av.error.FFmpegError as exc:
        raise InvalidVideo(f"not a readable video file ({reason(exc)})") from None
    with container:
        if not container.streams.video:
            kind = "audio-only file" if container.streams.audio else "no video stream"
            raise InvalidVideo(f"{kind}: a video track is required")
        yield container, container.streams.video[0]


def video_duration(container: InputContainer, stream: VideoStream) -> float:
    """Seconds from the video stream, else the container; 0 when neither says."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0
