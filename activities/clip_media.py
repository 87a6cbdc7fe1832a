"""ClipMediaActivities (ugc-media): shot boundaries of a stored video; cutting and measuring a clip."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio import activity

from activities.heartbeat import threadsafe_heartbeat
from activities.objects import ObjectRef
from models.schemas import CutClipInput, CutClipOutput, ShotsInput, ShotsOutput

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

PRESIGN_SECONDS = 3600
CLIP_MAX_EDGE = 1920


class ClipMediaActivities:
    """FFmpeg work for clips; reads the source through presigned URLs, writes clips to the bucket."""

    def __init__(self, s3: S3Client):
        self.s3 = s3

    async def _url(self, key: str) -> str:
        ref = ObjectRef.parse(key)
        url: str = await self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": ref.bucket, "Key": ref.key}, ExpiresIn=PRESIGN_SECONDS
        )
        return url

    @activity.defn
    async def detect_shots(self, params: ShotsInput) -> ShotsOutput:
        """Hard cuts of the whole video (small grayscale frames, a few per second)."""
        from activities.local_analyzer import measure_video

        url = await self._url(params.video_key)
        measured = await asyncio.to_thread(measure_video, url, heartbeat=threadsafe_heartbeat())
        return ShotsOutput(
            duration_s=measured.duration_s,
            cut_times_s=list(measured.cut_times_s),
            width=measured.width,
            height=measured.height,
        )

    @activity.defn
    async def cut_clip(self, params: CutClipInput) -> CutClipOutput:
        """Cut (and for a horizontal source, crop to 9:16), store, and measure one clip."""
        from activities.clipping import clip_features, cut_clip

        url = await self._url(params.video_key)
        key = f"clips/{params.video_asset_id}/{params.clip_id}.mp4"
        with tempfile.TemporaryDirectory(prefix="ugc-clip-") as workdir:
            path = Path(workdir) / "clip.mp4"
            beat = threadsafe_heartbeat()
            # long edge up to 1920: our own clips must still meet YouTube's 1080 px short edge
            await asyncio.to_thread(
                cut_clip, url, path, params.start_s, params.end_s, params.vertical_crop, CLIP_MAX_EDGE, heartbeat=beat
            )
            features = await asyncio.to_thread(clip_features, path, heartbeat=beat)
            body = await asyncio.to_thread(path.read_bytes)  # a clip is small: seconds of video
            await self.s3.put_object(Bucket=params.clips_bucket, Key=key, Body=body, ContentType="video/mp4")
        return CutClipOutput(clip_key=str(ObjectRef(params.clips_bucket, key)), features=features)
