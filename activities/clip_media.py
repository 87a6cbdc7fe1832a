"""ClipMediaActivities (ugc-media): one pass over a stored video for its shots and 9:16 crop; clips cut and measured."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from temporalio import activity

from activities.errors import typed_failures
from activities.heartbeat import ThreadWork, heartbeating, in_thread
from domain.clip_plan import OpeningFace, ShotPass, copy_plan
from domain.failures import ShotPassMissing
from domain.rules import ClipFeatures
from media.crop_cache import CropCache
from models.schemas.clips import CandidateClip, CutClipInput, CutClipOutput, ShotsInput, ShotsOutput
from models.schemas.media import MediaLimits
from storage import keys
from storage.growing_upload import GrowingUpload
from storage.objects import MEDIA_READ_SECONDS, ObjectRef, presigned_get, stream_to_object

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

    from media.face_frames import FaceFrames

CLIP_MAX_EDGE = 1920
# a file up to this goes in one PUT (a 30 s 9:16 clip: ~25 MB; on the dev stack's SeaweedFS, 16 MB took half the
# time of three requests in parts), held in memory once; larger ones (a long video's crop) stream in parts
SINGLE_PUT_BYTES = 32 * 1024 * 1024
UPLOAD_PART_BYTES = 8 * 1024 * 1024
READ_CHUNK_BYTES = 1024 * 1024


class ClipMediaActivities:
    """FFmpeg work for clips; reads the source through presigned URLs, writes clips to the bucket.

    With `crops`, the pass keeps its crop on this host's disk and the cuts landing here copy from it.
    """

    def __init__(self, s3: S3Client, limits: MediaLimits | None = None, crops: CropCache | None = None):
        self.s3, self.crops = s3, crops
        self.limits = limits or MediaLimits()

    async def _url(self, key: str) -> str:
        return await presigned_get(self.s3, key, MEDIA_READ_SECONDS)

    @activity.defn
    @typed_failures
    async def detect_shots(self, params: ShotsInput) -> ShotsOutput:
        """Hard cuts of the whole video; in the same decode, a horizontal source's 9:16 crop for its clips."""
        from media.face_frames import FaceFrames
        from media.shot_pass import shot_pass

        url, crop_key = await self._url(params.video_key), keys.shot_pass_crop(params.video_key)
        async with heartbeating("finding shots") as work:
            with tempfile.TemporaryDirectory(prefix="ugc-shots-") as workdir, FaceFrames() as faces:
                crop = Path(workdir) / "vertical.mp4"
                growing = GrowingUpload(self.s3, crop_key, crop, part_bytes=UPLOAD_PART_BYTES,
                                        content_type=keys.content_type("mp4"))  # fmt: skip
                async with growing:  # the crop is stored while the pass writes it
                    shots = await growing.while_writing(in_thread(
                        work, shot_pass, url, crop, CLIP_MAX_EDGE, work.beat,
                        limits=self.limits, should_stop=work.should_stop, faces=faces,
                    ))  # fmt: skip
                    candidates, stored = await self._after_pass(params, shots, faces, crop, url, growing, work)
                if stored:
                    shots.crop_id = uuid.uuid4().hex  # this pass's crop: a retried pass's gets another
                    if self.crops is not None:
                        await asyncio.to_thread(self.crops.keep, shots.crop_id, crop)
            # written last: its presence says the crop it names is complete
            samples = keys.shot_pass_samples(params.video_key)
            await self.s3.put_object(Bucket=samples.bucket, Key=samples.key, Body=shots.model_dump_json().encode())
        return ShotsOutput(duration_s=shots.duration_s, cut_times_s=shots.cut_times_s, width=shots.width,
                           height=shots.height, candidates=candidates)  # fmt: skip

    async def _after_pass(
        self, params: ShotsInput, shots: ShotPass, faces: FaceFrames, crop: Path, url: str,
        growing: GrowingUpload, work: ThreadWork,
    ) -> tuple[list[CandidateClip] | None, bool]:  # fmt: skip
        """Loudness and the candidates while the crop's last parts are stored; (candidates, whether it was)."""
        from media.clip_candidates import plan_candidates
        from media.clipping import loudness_blocks
        from media.shot_pass import loudness_source

        scan = loudness_source(shots, crop, url)

        async def faces_checked() -> None:
            """The face checks the pass did not finish while it decoded (usually none)."""
            answers = await in_thread(work, faces.answers)
            shots.opening_faces = [OpeningFace(start_s=s, vertical=v, face=f) for (s, v), f in sorted(answers.items())]

        async def measure_and_plan() -> list[CandidateClip] | None:
            """Loudness and the openings' faces, then the candidates: all while the crop uploads."""
            work.beat("measuring loudness and storing the crop")
            loudness = in_thread(work, loudness_blocks, scan, work.should_stop) if shots.has_audio else None
            shots.loudness_blocks = await _both(loudness, faces_checked())  # None without audio
            if params.max_candidates is None:
                return None
            work.beat("choosing the candidate clips")
            plans = await in_thread(work, plan_candidates, shots, params.max_candidates, CLIP_MAX_EDGE)
            return [CandidateClip(start_s=p.start_s, end_s=p.end_s, vertical_crop=p.vertical_crop,
                                  reason=p.reason) for p in plans]  # fmt: skip

        whole = lambda: self._store_file(growing.dest, crop, work)  # noqa: E731 (when nothing went up early)
        store = growing.finish(whole) if shots.vertical_keyframes_s else None
        return await _both(measure_and_plan(), store), store is not None

    async def _store_file(self, dest: ObjectRef, path: Path, work: ThreadWork) -> None:
        """Upload a local file: one PUT up to SINGLE_PUT_BYTES, else streamed in parts (never whole in memory)."""
        size = (await asyncio.to_thread(path.stat)).st_size
        content_type = keys.content_type("mp4")
        if size <= SINGLE_PUT_BYTES:
            body = await asyncio.to_thread(path.read_bytes)
            await self.s3.put_object(Bucket=dest.bucket, Key=dest.key, Body=body, ContentType=content_type)
            return
        await stream_to_object(
            self.s3, dest, _file_chunks(path), max_bytes=size, part_bytes=UPLOAD_PART_BYTES,
            content_type=content_type, on_part=lambda sent: work.beat(f"stored {sent >> 20} of {size >> 20} MB"),
        )  # fmt: skip

    @activity.defn
    @typed_failures
    async def cut_clip(self, params: CutClipInput) -> CutClipOutput:
        """Copy (or re-encode) one clip, store it, and measure it from the shot pass's samples."""
        url = await self._url(params.video_key)
        shots = await self._shots(keys.shot_pass_samples(params.video_key))
        dest = keys.clip(params.clips_bucket, params.video_asset_id, params.clip_id)
        async with heartbeating("cutting") as work:
            with tempfile.TemporaryDirectory(prefix="ugc-clip-") as workdir:
                path = await self._cut(params, shots, url, Path(workdir), work)
                work.beat("measuring and storing the clip")  # the measuring (CPU) while the upload waits on I/O
                measure = self._measure(params, shots, path, work)
                features = await _both(measure, self._store_file(dest, path, work))
        return CutClipOutput(clip_key=str(dest), features=features)

    async def _cut(self, params: CutClipInput, shots: ShotPass, url: str, workdir: Path, work: ThreadWork) -> Path:
        """The clip at workdir/clip.mp4: copied from the crop or the source when it can be, else re-encoded."""
        from media.clipping import copy_clip, cut_clip

        path, span, stop = workdir / "clip.mp4", (params.start_s, params.end_s), work.should_stop
        plan = copy_plan(shots, *span, params.vertical_crop)
        if plan is not None:
            source = url if plan.source == "source" else await self._crop(shots, params.video_key, workdir)
            await in_thread(work, copy_clip, source, path, span, plan.stop_dts, shots.audio_is_aac,
                            work.beat, stop, seek_s=plan.seek_s)  # fmt: skip
        else:  # long edge up to 1920: our own clips must still meet YouTube's 1080 px short edge
            await in_thread(work, cut_clip, url, path, *span, params.vertical_crop, CLIP_MAX_EDGE,
                            heartbeat=work.beat, limits=self.limits, should_stop=stop)  # fmt: skip
        return path

    async def _measure(self, params: CutClipInput, shots: ShotPass, path: Path, work: ThreadWork) -> ClipFeatures:
        """From the pass's samples over the clip's span and its face check of the clip's opening, else from the clip
        itself."""
        from media.clip_features import span_features
        from media.clipping import clip_features

        samples = shots.vertical if params.vertical_crop else shots.original
        if samples is None:  # a crop FFmpeg refused in the pass left no 9:16 samples: the clip itself is measured
            return await in_thread(work, clip_features, path, heartbeat=work.beat, should_stop=work.should_stop)
        face_key, span = (params.video_key, params.start_s, params.vertical_crop), (params.start_s, params.end_s)
        opening = shots.face_at(params.start_s, params.vertical_crop)
        seen = opening.face if opening is not None else None
        return await in_thread(work, span_features, path, samples, shots.loudness_blocks, span, face_key, seen)

    async def _crop(self, shots: ShotPass, video_key: str, workdir: Path) -> str:
        """The pass's crop: the copy it left on this host (linked into workdir), else the stored one's URL."""
        if self.crops is not None and shots.crop_id is not None:
            local = await asyncio.to_thread(self.crops.link, shots.crop_id, workdir / "crop.mp4")
            if local is not None:
                return str(local)
        return await self._url(str(keys.shot_pass_crop(video_key)))

    async def _shots(self, samples: ObjectRef) -> ShotPass:
        """What the shot pass left; ShotPassMissing when it left nothing readable (its files were deleted)."""
        try:
            found = await self.s3.get_object(Bucket=samples.bucket, Key=samples.key)
            async with found["Body"] as body:
                return ShotPass.model_validate_json(await body.read())
        except (self.s3.exceptions.NoSuchKey, ValidationError):
            raise ShotPassMissing(f"the shot pass left no readable {samples}: prepare the clips again") from None


async def _both(first: Coroutine[Any, Any, Any] | None, second: Coroutine[Any, Any, Any] | None) -> Any:
    """Run both at once; the first one's result. A failure of either cancels the other and is raised as is."""
    tasks = [asyncio.ensure_future(c if c is not None else asyncio.sleep(0)) for c in (first, second)]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:  # the failure itself, not the cancellation it caused in the other
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error
    return tasks[0].result()


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    """A local file in 1 MiB reads, each in a thread (the event loop never waits on the disk)."""
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, READ_CHUNK_BYTES):
            yield chunk
