"""ClipMediaActivities (ugc-media): one pass over a stored video for its shots and 9:16 crop; clips cut and measured."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from temporalio import activity

from activities.errors import typed_failures
from activities.heartbeat import threadsafe_heartbeat
from domain.clip_plan import ShotPass, copy_plan
from models.schemas.clips import CutClipInput, CutClipOutput, ShotsInput, ShotsOutput
from storage import keys
from storage.objects import MEDIA_READ_SECONDS, ObjectRef, presigned_get

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

CLIP_MAX_EDGE = 1920


class ClipMediaActivities:
    """FFmpeg work for clips; reads the source through presigned URLs, writes clips to the bucket."""

    def __init__(self, s3: S3Client):
        self.s3 = s3

    async def _url(self, key: str) -> str:
        return await presigned_get(self.s3, key, MEDIA_READ_SECONDS)

    @activity.defn
    @typed_failures
    async def detect_shots(self, params: ShotsInput) -> ShotsOutput:
        """Hard cuts of the whole video; in the same decode, a horizontal source's 9:16 crop for its clips."""
        from media.clipping import loudness_blocks
        from media.shot_pass import loudness_source, shot_pass

        url = await self._url(params.video_key)
        with tempfile.TemporaryDirectory(prefix="ugc-shots-") as workdir:
            crop = Path(workdir) / "vertical.mp4"
            shots = await asyncio.to_thread(shot_pass, url, crop, CLIP_MAX_EDGE, threadsafe_heartbeat())
            # the loudness scan runs while the crop uploads
            scan = loudness_source(shots, crop, url)
            blocks, _ = await asyncio.gather(
                asyncio.to_thread(loudness_blocks, scan) if shots.has_audio else asyncio.sleep(0),
                self._store_crop(keys.shot_pass_crop(params.video_key), crop)
                if shots.vertical_keyframes_s
                else asyncio.sleep(0),
            )
        shots.loudness_blocks = blocks
        # written last: its presence says the crop it names is complete
        samples = keys.shot_pass_samples(params.video_key)
        await self.s3.put_object(Bucket=samples.bucket, Key=samples.key, Body=shots.model_dump_json().encode())
        return ShotsOutput(duration_s=shots.duration_s, cut_times_s=shots.cut_times_s, width=shots.width,
                           height=shots.height)  # fmt: skip

    async def _store_crop(self, dest: ObjectRef, crop: Path) -> None:
        body = await asyncio.to_thread(crop.read_bytes)  # a minute of 606x1080: tens of MB
        await self.s3.put_object(Bucket=dest.bucket, Key=dest.key, Body=body, ContentType=keys.content_type("mp4"))

    @activity.defn
    @typed_failures
    async def cut_clip(self, params: CutClipInput) -> CutClipOutput:
        """Copy (or re-encode) one clip, store it, and measure it (from the shot pass when there was one)."""
        from media.clip_features import span_features
        from media.clipping import clip_features, copy_clip, cut_clip

        url = await self._url(params.video_key)
        shots = await self._shots(keys.shot_pass_samples(params.video_key))
        span = (params.start_s, params.end_s)
        plan = copy_plan(shots, *span, params.vertical_crop) if shots is not None else None
        dest = keys.clip(params.clips_bucket, params.video_asset_id, params.clip_id)
        with tempfile.TemporaryDirectory(prefix="ugc-clip-") as workdir:
            path, beat = Path(workdir) / "clip.mp4", threadsafe_heartbeat()
            if shots is not None and plan is not None:
                source = url if plan[0] == "source" else await self._url(str(keys.shot_pass_crop(params.video_key)))
                await asyncio.to_thread(copy_clip, source, path, span, plan[1], shots.audio_is_aac, beat)
            else:  # long edge up to 1920: our own clips must still meet YouTube's 1080 px short edge
                await asyncio.to_thread(cut_clip, url, path, *span, params.vertical_crop, CLIP_MAX_EDGE, heartbeat=beat)
            samples = None if shots is None else shots.vertical if params.vertical_crop else shots.original
            if shots is not None and samples is not None:
                face_key = (params.video_key, params.start_s, params.vertical_crop)
                features = await asyncio.to_thread(span_features, path, samples, shots.loudness_blocks, span, face_key)
            else:
                features = await asyncio.to_thread(clip_features, path, heartbeat=beat)
            body = await asyncio.to_thread(path.read_bytes)  # a clip is small: seconds of video
            await self.s3.put_object(Bucket=dest.bucket, Key=dest.key, Body=body, ContentType=keys.content_type("mp4"))
        return CutClipOutput(clip_key=str(dest), features=features)

    async def _shots(self, samples: ObjectRef) -> ShotPass | None:
        """What the shot pass left; None when it left nothing readable (say a run from before it kept anything)."""
        try:
            found = await self.s3.get_object(Bucket=samples.bucket, Key=samples.key)
            async with found["Body"] as body:
                return ShotPass.model_validate_json(await body.read())
        except (self.s3.exceptions.NoSuchKey, ValidationError):
            return None
