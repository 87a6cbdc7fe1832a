"""Cutting candidate clips with FFmpeg and measuring the features the Rule Engine scores (sync; run in a thread)."""

from __future__ import annotations

import functools
import io
import math
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import ffmpeg as ffmpeg_python

from domain.clip_plan import TIME_EPS_S, span_loudness
from domain.rules import ClipFeatures
from media.faces import (
    FACE_FRAME_MAX_EDGE,
    FACE_INSTANTS_S,
    FACE_JPEG_QUALITY,
    face_detector_available,
    face_in,
)
from media.ffmpeg_cli import arguments, ffmpeg, open_input, run, tail, unavailable_reason
from media.local_analyzer import measure_video, pacing_label
from media.source import DECODER_THREAD_TYPE, ENCODER_THREADS, OPEN_TIMEOUT_S, ShouldStop, unavailable
from models.schemas.media import MediaLimits

DEFAULT_MAX_EDGE = 1080
CUT_TIMEOUT_S = 600.0
LOUDNESS_TIMEOUT_S = 120.0
# level-tagged warnings too: a read the network cut short shows only there (ffmpeg then exits 0, clip short)
CUT_LOGLEVEL = "level+warning"
# a block line: "t: 0.399979   TARGET:-23 LUFS    M: -34.4 S:-120.7 ..." (M: the last 400 ms)
_BLOCK = re.compile(r"\bt:\s*(\d+(?:\.\d*)?)\s+TARGET:.*?\bM:\s*(-?(?:\d+(?:\.\d*)?|inf))")

Beat = Callable[[str], None] | None


class ClipCutFailed(RuntimeError):
    """FFmpeg could not cut the clip; the message ends with its last stderr lines."""


@functools.lru_cache(maxsize=1)
def video_codec_options() -> tuple[tuple[str, str], ...]:
    """libx264 when the binary has it, else mpeg4; probed once since spawning ffmpeg costs ~50 ms."""
    listing = subprocess.run([ffmpeg(), "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    if re.search(r"^\s*V\S*\s+libx264\s", listing, re.M):
        return (("c:v", "libx264"), ("preset", "veryfast"), ("crf", "23"))
    return (("c:v", "mpeg4"), ("q:v", "4"))


def clip_filter(vertical_crop: bool, max_edge: int) -> str:
    """Optional centre crop to 9:16, then long edge ≤ max_edge with even sides, square pixels, yuv420p."""
    # min() keeps a source already narrower than 9:16 valid: it is cropped in height instead
    crop = "crop=w='trunc(min(iw,ih*9/16)/2)*2':h='trunc(min(ih,iw*16/9)/2)*2'," if vertical_crop else ""
    # the long edge is capped; -2 lets the other follow the aspect ratio, rounded to even for yuv420p
    w, h = (f"trunc(min({side},{max_edge})/2)*2" for side in ("iw", "ih"))
    return f"{crop}scale=w='if(gte(iw,ih),{w},-2)':h='if(gte(iw,ih),-2,{h})',setsar=1,format=yuv420p"


def cut_clip(
    source: str,
    dest: Path,
    start_s: float,
    end_s: float,
    vertical_crop: bool,
    max_edge: int = DEFAULT_MAX_EDGE,
    *,
    heartbeat: Beat = None,
    timeout_s: float = CUT_TIMEOUT_S,
    limits: MediaLimits | None = None,
    should_stop: ShouldStop = None,
) -> Path:
    """Re-encode [start_s, end_s) of a local path or http(s) URL into an upright H.264/AAC faststart MP4 at dest.

    The CLI turns a rotated (phone) source upright as it re-encodes, and drops the rotation it applied.
    """
    if not (math.isfinite(start_s) and math.isfinite(end_s) and 0.0 <= start_s < end_s) or max_edge < 2:
        raise ValueError(f"invalid clip span {start_s!r}..{end_s!r} or max_edge {max_edge!r}")
    # input seeking jumps to the keyframe before start, then decodes (and drops) up to it exactly; a cut time
    # is its frame's time rounded to the millisecond, so 1 ms early keeps that frame and no earlier one
    seek = max(0.0, start_s - TIME_EPS_S)
    src = open_input(source, limits, ss=f"{seek:.3f}")
    options: dict[str, str | None] = {"t": f"{end_s - start_s:.3f}", "sn": None, "dn": None, "map_metadata": "-1"}
    options |= {"vf": clip_filter(vertical_crop, max_edge), **dict(video_codec_options())}
    options |= {"threads": str(ENCODER_THREADS), "c:a": "aac", "b:a": "128k"}
    # the first video stream and the first audio stream if there is one (the '?')
    streams = [src["v:0"], src["a:0?"]]
    return _to_mp4(streams, options, source, Path(dest), (start_s, end_s), heartbeat, timeout_s, should_stop)


def copy_clip(
    source: str,
    dest: Path,
    span: tuple[float, float],
    stop_s: float | None,
    aac: bool,
    beat: Beat,
    should_stop: ShouldStop = None,
    *,
    seek_s: float = 0.0,
) -> Path:
    """Copy source's streams from seek_s (0: the beginning) without the packets decoded from stop_s on (None: all).

    The copy opens on the keyframe at or before seek_s; pictures before it keep negative times, which the MP4 muxer
    turns into an edit list: players decode them and show the clip from seek_s. Only upright sources are copied
    (domain.clip_plan): a copy would keep a rotation, as players honour.
    """
    # the copy stops at the first packet decoded at -t: a decode-order prefix always decodes
    src = open_input(source, None, **({"ss": f"{seek_s:.6f}"} if seek_s > 0 else {}))
    options: dict[str, str | None] = {"t": f"{stop_s - seek_s - 0.0005:.4f}"} if stop_s is not None else {}
    options |= {"sn": None, "dn": None, "map_metadata": "-1", "c:v": "copy"}
    options |= {"c:a": "copy"} if aac else {"c:a": "aac", "b:a": "128k"}
    return _to_mp4([src["v:0"], src["a:0?"]], options, source, Path(dest), span, beat, CUT_TIMEOUT_S, should_stop)


def _to_mp4(
    streams: list[Any],
    options: dict[str, str | None],
    source: str,
    dest: Path,
    span: tuple[float, float],
    beat: Beat,
    timeout_s: float,
    should_stop: ShouldStop,
) -> Path:
    """Run ffmpeg on streams with the output options into a faststart MP4 at dest; SourceUnavailable when the
    network failed it, else ClipCutFailed with its words when it fails."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    # written aside and renamed: a retried activity never sees a half-written clip under the final name
    partial = dest.with_name(f".{dest.name}.part")
    output = ffmpeg_python.output(*streams, str(partial), format="mp4", movflags="+faststart", **options)
    args = arguments(output, "-hide_banner", "-nostdin", "-nostats", "-loglevel", CUT_LOGLEVEL, "-progress", "pipe:1")
    try:
        done = run(args, timeout_s, should_stop=should_stop, on_stdout_line=_progress(span[1] - span[0], beat))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    what = f"{span[0]:.2f}-{span[1]:.2f} s"
    failure: Exception | None = None
    if why := unavailable_reason(source, done.stderr):
        failure = unavailable(why)  # even after exit 0: the clip then ends where the read did
    elif done.timed_out:
        failure = ClipCutFailed(f"ffmpeg did not finish cutting {what} within {timeout_s:.0f} s")
    elif done.returncode != 0:
        failure = ClipCutFailed(f"ffmpeg failed ({done.returncode}) cutting {what}:\n{tail(done.stderr)}")
    elif _streams(partial)[0] == 0:
        # a start past the source's end "succeeds" with no frames: refuse it here, not in whoever plays it
        failure = ClipCutFailed(f"the clip {what} has no video frames (past the source's end?)")
    if failure is not None:
        partial.unlink(missing_ok=True)
        raise failure
    partial.replace(dest)
    return dest


def _progress(total_s: float, heartbeat: Beat) -> Callable[[bytes], None] | None:
    """A reader of ffmpeg's -progress lines that beats at most once a second."""
    if heartbeat is None:
        return None
    last_beat = time.monotonic()

    def line(text: bytes) -> None:
        nonlocal last_beat
        if not text.startswith(b"out_time_us=") or time.monotonic() - last_beat < 1:
            return
        last_beat = time.monotonic()
        value = text[len(b"out_time_us=") :].strip()  # "N/A" until the first frame is out
        done = int(value) / 1e6 if value.isdigit() else 0.0
        heartbeat(f"cutting: {done:.0f}s of {total_s:.0f}s")

    return line


def clip_features(path: Path, *, heartbeat: Beat = None, should_stop: ShouldStop = None) -> ClipFeatures:
    """Duration, size, audio, cuts per 5 s, dynamic start, face in the first seconds, loudness, pacing."""
    m = measure_video(str(path), heartbeat=heartbeat, should_stop=should_stop)
    if heartbeat is not None:
        heartbeat("looking for a face in the first seconds")
    face = face_in_first_seconds(path)
    lufs = span_loudness(loudness_blocks(str(path)) or [], 0.0, math.inf) if m.has_audio else None
    pacing = pacing_label(m)
    return ClipFeatures(
        duration_s=m.duration_s,
        width=m.width,
        height=m.height,
        has_audio=m.has_audio,
        cuts_per_5s=m.cuts_per_5s,
        dynamic_start=m.dynamic_start,
        face_in_first_seconds=face,
        loudness_lufs=lufs,
        # hook_type and emotion stay None: they are rhetoric, which pixels and levels cannot tell
        pacing=None if pacing == "unknown" else pacing,
    )


def face_in_first_seconds(path: Path) -> bool | None:
    """Whether a frame at ~0.5 s or ~1.5 s shows a frontal face; None without a face detector."""
    if not face_detector_available():
        return None
    return face_in(_early_frames(path))


def _early_frames(path: Path) -> list[bytes]:
    """JPEGs of the first frames shown at or after each FACE_INSTANTS_S (clamped into a shorter clip)."""
    jpegs: list[bytes] = []
    with av.open(str(path), timeout=OPEN_TIMEOUT_S) as container:
        # slice threads (DECODER_THREAD_TYPE): closing a frame-threaded decoder left mid-stream hung for good
        stream = container.streams.video[0]
        stream.thread_type = DECODER_THREAD_TYPE
        duration = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else math.inf
        # a clip shorter than an instant still gets its last moments looked at, never a frame past its end
        wanted = sorted({min(t, max(0.0, duration - 0.1)) for t in FACE_INSTANTS_S})
        # decoding forward from 0 beats seeking: the instants lie within the first GOP or two
        for frame in container.decode(stream):
            if frame.time is None or frame.time + 1e-3 < wanted[len(jpegs)]:
                continue
            image = frame.to_image()
            image.thumbnail((FACE_FRAME_MAX_EDGE, FACE_FRAME_MAX_EDGE))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=FACE_JPEG_QUALITY)
            jpegs.append(buffer.getvalue())
            if len(jpegs) == len(wanted):
                break
    return jpegs


def loudness_blocks(source: str, should_stop: ShouldStop = None) -> list[tuple[float, float]] | None:
    """ebur128's momentary loudness of the first audio stream: (block end s, LUFS) per 100 ms; None if unreadable.

    SourceUnavailable when the network cut the read: partial blocks would understate a clip's loudness.
    """
    # -vn: the picture is not decoded; verbose level is where ebur128 logs its ten-per-second block lines
    audio = open_input(source)["a:0"]
    output = ffmpeg_python.output(audio, "-", format="null", vn=None, sn=None, dn=None, af="ebur128=framelog=verbose")
    args = arguments(output, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+verbose")
    done = run(args, LOUDNESS_TIMEOUT_S, should_stop=should_stop)
    if why := unavailable_reason(source, done.stderr):
        raise unavailable(why)
    if done.timed_out or done.returncode != 0:
        return None
    return [(float(t), float(m)) for t, m in _BLOCK.findall(done.stderr)]


def _streams(path: Path) -> tuple[int, bool]:
    """(frames of the first video stream per the MP4 index, whether there is audio); (0, False) if unreadable."""
    try:
        with av.open(str(path), timeout=OPEN_TIMEOUT_S) as container:
            video = container.streams.video
            return (int(video[0].frames) if video else 0), bool(container.streams.audio)
    except av.error.FFmpegError:
        return 0, False
