"""MediaActivities (ugc-media queue): probe a stored video in place through a presigned URL."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

import av
from temporalio import activity

from activities.errors import invalid_video
from activities.frames import read_frames, video_duration
from activities.heartbeat import threadsafe_heartbeat
from activities.objects import ObjectRef, presigned_get
from domain.frames import FRAME_LABELS
from models.schemas import ExtractFramesInput, ExtractFramesOutput, Frame, ProbeVideoInput, VideoProbe

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

PRESIGN_SECONDS = 900
# FFmpeg reads the object with HTTP range requests: the moov atom and a few frames, not the file
FFMPEG_HTTP_OPTIONS = {"rw_timeout": "30000000", "reconnect": "1", "reconnect_streamed": "1"}
TIMEOUT_SECONDS = 30.0
MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"


class MediaActivities:
    """CPU/FFmpeg work, served on its own task queue so it scales apart from I/O."""

    def __init__(self, s3: S3Client):
        self.s3 = s3

    @activity.defn
    async def probe_video(self, params: ProbeVideoInput) -> VideoProbe:
        """Container, codec, duration, size, dimensions, audio; refuses anything not a whole video."""
        ref = ObjectRef.parse(params.key)
        head = await self.s3.head_object(Bucket=ref.bucket, Key=ref.key)
        size = int(head["ContentLength"])
        if size == 0:
            raise invalid_video("the video file is empty")
        url = await presigned_get(self.s3, params.key, PRESIGN_SECONDS)
        activity.heartbeat("probing")
        return await asyncio.to_thread(probe_url, url, size)

    @activity.defn
    async def extract_frames(self, params: ExtractFramesInput) -> ExtractFramesOutput:
        """Hook, body and CTA frames as JPEGs in storage; only their keys travel back."""
        url = await presigned_get(self.s3, params.video_key, PRESIGN_SECONDS)
        images, duration = await asyncio.to_thread(
            read_frames, url, params.timestamps, params.max_edge, threadsafe_heartbeat()
        )
        frames = []
        for label, image in zip(FRAME_LABELS, images, strict=False):
            key = f"frames/{params.creative_id}/{params.analysis_id}/{label}.jpg"
            await self.s3.put_object(Bucket=params.frames_bucket, Key=key, Body=image.jpeg, ContentType="image/jpeg")
            frames.append(
                Frame(
                    label=label,
                    key=str(ObjectRef(params.frames_bucket, key)),
                    requested_s=image.requested_s,
                    timestamp_s=image.timestamp_s,
                    width=image.width,
                    height=image.height,
                    sha256=hashlib.sha256(image.jpeg).hexdigest(),
                )
            )
        return ExtractFramesOutput(frames=frames, duration_s=round(duration, 3))


def probe_url(url: str, size_bytes: int) -> VideoProbe:
    """Open with FFmpeg (PyAV), decode the first frame and one near the end (catches truncation)."""
    try:
        container = av.open(url, options=FFMPEG_HTTP_OPTIONS, timeout=TIMEOUT_SECONDS)
    except av.error.FFmpegError as exc:
        raise invalid_video(f"not a readable video file ({_reason(exc)})") from None
    with container:
        if not container.streams.video:
            kind = "audio-only file" if container.streams.audio else "no video stream"
            raise invalid_video(f"{kind}: a video track is required")
        stream = container.streams.video[0]
        duration = video_duration(container, stream)
        if duration <= 0:
            raise invalid_video("the video has no duration (a still image?)")
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


def _decode_one(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    *,
    at_seconds: float,
    what: str,
) -> None:
    try:
        if at_seconds > 0 and stream.time_base is not None:
            container.seek(int(at_seconds / stream.time_base), stream=stream, backward=True)
        for _frame in container.decode(stream):
            return
    except (av.error.FFmpegError, EOFError) as exc:
        raise invalid_video(f"the video is damaged or truncated: cannot decode its {what} ({_reason(exc)})") from None
    raise invalid_video(f"the video is damaged or truncated: no frame at its {what}")


def _extension(format_name: str, codec: str) -> str:
    if format_name == MP4_FAMILY:
        return "mp4"
    if "webm" in format_name or "matroska" in format_name:
        return "webm" if codec in {"vp8", "vp9", "av1"} else "mkv"
    raise invalid_video(f"unsupported container '{format_name}': use MP4, MOV or WebM")


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__
