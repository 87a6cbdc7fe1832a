"""MediaActivities (ugc-media queue): probe a stored video in place through a presigned URL."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from temporalio import activity

from activities.errors import typed_failures
from activities.heartbeat import heartbeating, in_thread
from domain.failures import InvalidVideo
from domain.frames import FRAME_LABELS
from media.frames import read_frames
from media.probe import probe_url
from models.schemas.analysis import ExtractFramesInput, ExtractFramesOutput, Frame
from models.schemas.media import MediaLimits, ProbeVideoInput, VideoProbe
from storage import keys
from storage.objects import MEDIA_READ_SECONDS, ObjectRef, presigned_get

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client


class MediaActivities:
    """CPU/FFmpeg work, served on its own task queue so it scales apart from I/O; `limits` from the settings."""

    def __init__(self, s3: S3Client, limits: MediaLimits | None = None):
        self.s3 = s3
        self.limits = limits or MediaLimits()

    @activity.defn
    @typed_failures
    async def probe_video(self, params: ProbeVideoInput) -> VideoProbe:
        """Container, codec, duration, displayed size, audio; refuses anything not a whole video or past the limits."""
        ref = ObjectRef.parse(params.key)
        head = await self.s3.head_object(Bucket=ref.bucket, Key=ref.key)
        size = int(head["ContentLength"])
        if size == 0:
            raise InvalidVideo("the video file is empty")
        url = await presigned_get(self.s3, params.key, MEDIA_READ_SECONDS)
        async with heartbeating("probing") as work:
            return await in_thread(work, probe_url, url, size, params.limits or self.limits, work.should_stop)

    @activity.defn
    @typed_failures
    async def extract_frames(self, params: ExtractFramesInput) -> ExtractFramesOutput:
        """Hook, body and CTA frames as JPEGs in storage; only their keys travel back."""
        url = await presigned_get(self.s3, params.video_key, MEDIA_READ_SECONDS)
        async with heartbeating("reading frames") as work:
            images, duration = await in_thread(
                work, read_frames, url, params.timestamps, params.max_edge, work.beat,
                limits=self.limits, should_stop=work.should_stop,
            )  # fmt: skip
            frames = []
            for label, image in zip(FRAME_LABELS, images, strict=False):
                ref = keys.frame(params.frames_bucket, params.creative_id, params.analysis_id, label)
                await self.s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=image.jpeg, ContentType="image/jpeg")
                digest = hashlib.sha256(image.jpeg).hexdigest()
                frames.append(Frame(label=label, key=str(ref), requested_s=image.requested_s,
                                    timestamp_s=image.timestamp_s, width=image.width, height=image.height,
                                    sha256=digest))  # fmt: skip
        return ExtractFramesOutput(frames=frames, duration_s=round(duration, 3))
