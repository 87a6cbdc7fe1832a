"""Opening a video with FFmpeg (PyAV): the one set of input options, stream check, duration and rotation
rule, and the one judgement of a failure: the network's (retry) or the file's (refuse)."""

from __future__ import annotations

import errno
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import av
import av.logging
from av.container import InputContainer
from av.video.stream import VideoStream
from PIL import Image

from domain.failures import Failure, InvalidVideo, SourceUnavailable
from models.schemas.media import MediaLimits

OPEN_TIMEOUT_S = 30.0
# FFmpeg reads stored objects through presigned URLs: time out a stalled read, reconnect a dropped one for a
# few seconds (FFmpeg's default keeps trying for 2 minutes; past a blip, Temporal's retry takes over)
RECONNECT = {"reconnect": "1", "reconnect_delay_max": "5"}
HTTP_OPTIONS = {"rw_timeout": "30000000", "reconnect_streamed": "1", **RECONNECT}
# for a few seeks into a long file: 1 MiB range requests on one kept-alive connection. By default FFmpeg
# asks for `bytes=N-` and reads on through forward seeks shorter than its TCP window, so storage would
# send up to a third of the file
RANGE_READ_OPTIONS = {
    "rw_timeout": "30000000",
    "request_size": str(1 << 20),
    "short_seek_size": str(1 << 20),
    "multiple_requests": "1",
    **RECONNECT,
}
# Untrusted media is opened with whitelists: only the containers the probe accepts ("mov" is FFmpeg's MP4/MOV
# demuxer, "matroska" its MKV/WebM one), so no playlist (HLS, concat, ffconcat) is read, and only the protocols
# our own reads use, so nothing inside a file can make FFmpeg open a local path (file:) or any other protocol
FORMAT_WHITELIST = "mov,matroska"
URL_PROTOCOLS = "http,https,tcp,tls"  # presigned storage URLs
FILE_PROTOCOLS = "file"  # local files the worker wrote itself
NOT_ON_WHITELIST = "not on whitelist"  # FFmpeg's log line when a whitelist refuses a format or protocol
# each frame thread holds about two frames: FFmpeg's default (one per core + 1, up to 16) would make a
# decoder's memory grow with the machine; the media queue runs one activity per core anyway
DECODER_THREADS = min(4, (os.cpu_count() or 1) + 1)
# Slice threads, never frame threads, in every decoder: with FFmpeg's log routed to Python (below), a frame
# thread that logs (a damaged or stream-copied clip warns) waits for the GIL while the thread freeing its
# codec context holds the GIL and waits for it: a hang for good (PyAV issues 909, 367, 751; seen here as a
# cut_clip stuck in avcodec_free_context). Slice workers only run inside a decode call, which releases the
# GIL. Throughput stays: the media queue runs one activity per core. The one exception is the shot pass, a
# whole-file decode whose frame threads are parked before its decoder can be freed (parked_frame_threads).
DECODER_THREAD_TYPE = "SLICE"
# The shot pass decodes while x264 encodes the crop on the same cores: with DECODER_THREADS its frame threads waited
# on each other while x264 waited for frames, and the cores sat ~15 % idle; three a core keep them busy (on 2 cores
# 11.6 -> 10.0 s a 60 s 1080p pass). As many as PASS_DECODER_BYTES of frames allow (two a thread): the largest
# sources the limits pass (4096x4096) keep the memory of DECODER_THREADS
PASS_THREADS_PER_CORE, PASS_MAX_DECODER_THREADS = 3, 12
PASS_DECODER_BYTES = 160 * 1024 * 1024
# x264's own default (1.5 per core) capped likewise: each encoder thread holds frames of its own
ENCODER_THREADS = min(4, max(1, (os.cpu_count() or 1) * 3 // 2))

# FFmpeg reports a failed read mid-file as the end of the file or as invalid data; only its protocol's log
# lines tell the network apart. Captured per thread; outside a capture its warnings stay out of the log, as
# they did before (a damaged file logs a line per macroblock). Repeats are kept: another thread's identical
# "HTTP error 503" must not hide this thread's.
av.logging.set_level(av.logging.WARNING)
av.logging.set_skip_repeated(False)
logging.getLogger("libav").setLevel(logging.CRITICAL)
WARNING = av.logging.WARNING
NETWORK_COMPONENTS = {"http", "https", "tcp", "tls", "crypto", "udp"}
# a reconnect in progress is not a failure (whatever fails after it logs again); a connection that ended
# early is one, unless a reconnect follows
RECONNECTING = "Will reconnect"
ENDED_EARLY = "Stream ends prematurely"
# raised by FFmpeg when a URL read fails: HTTP answers, refused/reset connections, rw_timeout, the open timeout
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    av.error.HTTPError, av.error.HTTPClientError, av.error.ExitError, ConnectionError, TimeoutError,
)  # fmt: skip
NETWORK_ERRNOS = {errno.EIO, errno.ENETDOWN, errno.ENETUNREACH, errno.ENETRESET, errno.EHOSTUNREACH, errno.EHOSTDOWN}
DECODE_ERRORS = (av.error.FFmpegError, EOFError)
_URL_QUERY = re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]*")

Log = tuple[int, str, str]
ShouldStop = Callable[[], bool] | None


class Stopped(Exception):
    """The caller asked the work to stop (its activity was cancelled); nothing is left half-written."""


def check_stop(should_stop: ShouldStop) -> None:
    if should_stop is not None and should_stop():
        raise Stopped()


def is_url(source: str) -> bool:
    return str(source).startswith(("http://", "https://"))


def whitelists(source: str) -> dict[str, str]:
    """The format and protocol whitelists for a source: http(s) for a URL, file for a local path."""
    return {
        "format_whitelist": FORMAT_WHITELIST,
        "protocol_whitelist": URL_PROTOCOLS if is_url(source) else FILE_PROTOCOLS,
    }


def input_options(source: str, *, range_reads: bool = False) -> dict[str, str]:
    """FFmpeg's input options for a source: the whitelists, and the HTTP ones for a URL."""
    if not is_url(source):
        return whitelists(source)
    return {**(RANGE_READ_OPTIONS if range_reads else HTTP_OPTIONS), **whitelists(source)}


def refused_by_whitelist(logs: Sequence[Log]) -> InvalidVideo | None:
    """The file's failure when a whitelist refused its container (a playlist, say) or a protocol it asked for."""
    if any(NOT_ON_WHITELIST in message for _, _, message in logs):
        return InvalidVideo("not a supported video file: only MP4, MOV and WebM/Matroska files are read")
    return None


def redact(text: str) -> str:
    """Text without the query strings of the URLs in it: a presigned query is a credential."""
    return _URL_QUERY.sub(r"\1?<redacted>", text)


def reason(exc: BaseException) -> str:
    """FFmpeg's own words for a failure, without the URL it was reading."""
    return redact(str(getattr(exc, "strerror", None) or type(exc).__name__))


def unavailable_reason(exc: BaseException | None, source: str, logs: Sequence[Log] = ()) -> str | None:
    """Why reading a URL failed for now (storage, network, timeout), or None when the file is the cause."""
    if not is_url(source):
        return None
    if exc is not None and (
        isinstance(exc, TRANSIENT_ERRORS) or (isinstance(exc, av.error.OSError) and exc.errno in NETWORK_ERRNOS)
    ):
        return reason(exc)
    return network_failure(
        [message for level, component, message in logs if component in NETWORK_COMPONENTS and level <= WARNING]
    )


def network_failure(messages: Sequence[str]) -> str | None:
    """The first failure among the network components' warnings and errors (reconnects are not failures)."""
    for i, message in enumerate(messages):
        if message.startswith(RECONNECTING):
            continue
        if message.startswith(ENDED_EARLY) and messages[i + 1 : i + 2] and messages[i + 1].startswith(RECONNECTING):
            continue
        return redact(message.strip())
    return None


def unavailable(why: str) -> SourceUnavailable:
    return SourceUnavailable(f"storage or the network failed while reading the video ({why}); a retry may succeed")


def decode_failure(exc: BaseException, source: str, refusal: str) -> Failure:
    """A decode error's failure: the network's when it caused it, else the file's (refusal + FFmpeg's words)."""
    why = unavailable_reason(exc, source)
    return unavailable(why) if why else InvalidVideo(f"{refusal} ({reason(exc)})")


@contextmanager
def open_video(
    source: str, *, range_reads: bool = False, limits: MediaLimits | None = None
) -> Iterator[tuple[InputContainer, VideoStream]]:
    """The container and its first video stream, decoding at most `limits.max_pixels` per frame.

    Every failure inside is judged by cause: InvalidVideo only when the file is at fault, SourceUnavailable
    when the network or storage failed at any point of the read (even one that seemed to end well: a read
    cut short looks like a shorter file).
    """
    limits = limits or MediaLimits()
    with av.logging.Capture() as logs:
        try:
            # max_pixels at open too: finding the stream info decodes a frame, and of any size without it
            # (without, opening a one-frame 16000x16000 H.264 file peaked at ~640 MB; see bench/media_memory.py)
            options = {**input_options(source, range_reads=range_reads), "max_pixels": str(limits.max_pixels)}
            container = av.open(str(source), options=options, timeout=OPEN_TIMEOUT_S)
        except DECODE_ERRORS as exc:
            refused = refused_by_whitelist(logs)
            failure = refused or decode_failure(exc, source, "not a readable video file")
            raise _judged(failure, source, logs) from None
        try:
            with container:
                if not container.streams.video:
                    kind = "audio-only file" if container.streams.audio else "no video stream"
                    raise InvalidVideo(f"{kind}: a video track is required")
                stream = container.streams.video[0]
                # the decoder itself refuses a larger picture, even one a stream switches to mid-file
                stream.codec_context.options = {"max_pixels": str(limits.max_pixels)}
                stream.codec_context.thread_count = DECODER_THREADS
                yield container, stream
        except InvalidVideo as failure:
            raise _judged(failure, source, logs) from None
        except DECODE_ERRORS as exc:
            raise _judged(decode_failure(exc, source, "cannot decode the video"), source, logs) from None
        if why := unavailable_reason(None, source, logs):
            raise unavailable(why)


@contextmanager
def parked_frame_threads(stream: VideoStream, threads: int | None = None) -> Iterator[None]:
    """Decode with frame threads (x264 sources have one slice per frame: slice threads leave one core idle),
    `threads` of them (None: as opened), parking them on the way out, whatever ends the decode: flushing the
    decoder releases the GIL while it waits for every frame thread to finish, so none is still working (and
    logging) when the decoder is freed.

    Set up before the first packet is decoded; the caller must not stop decoding inside the block without
    leaving it (a decoder freed there would be one with busy frame threads).
    """
    stream.thread_type = "FRAME"
    if threads is not None:
        stream.codec_context.thread_count = threads
    try:
        yield
    finally:
        stream.codec_context.flush_buffers()


def pass_decoder_threads(width: int, height: int, bits: int = 8) -> int:
    """Frame threads for the shot pass's decoder: three a core, fewer for frames so large that they would hold
    more than PASS_DECODER_BYTES (each thread holds about two), never fewer than DECODER_THREADS."""
    frame_bytes = max(1, width * height * 3 // 2 * (2 if bits > 8 else 1))  # 4:2:0; deeper samples take 2 bytes
    wanted = min(PASS_MAX_DECODER_THREADS, PASS_THREADS_PER_CORE * (os.cpu_count() or 1))
    return max(DECODER_THREADS, min(wanted, PASS_DECODER_BYTES // (2 * frame_bytes)))


def _judged(failure: Failure, source: str, logs: Sequence[Log]) -> Failure:
    """The file's failure, unless the network failed during the read: then it is the network's."""
    if isinstance(failure, InvalidVideo) and (why := unavailable_reason(None, source, logs)):
        return unavailable(why)
    return failure


def video_duration(container: InputContainer, stream: VideoStream) -> float:
    """Seconds from the video stream, else the container; 0 when neither says."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def displayed_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    """The size a player shows: phone videos store landscape pixels plus a ±90° display rotation."""
    return (height, width) if abs(rotation) % 180 == 90 else (width, height)


def upright(image: Image.Image, rotation: int) -> Image.Image:
    """The picture as a player shows it; `rotation` is the frame's counter-clockwise display rotation."""
    turns = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
    turn = turns.get(round(rotation / 90) * 90 % 360)
    return image.transpose(turn) if turn is not None else image
