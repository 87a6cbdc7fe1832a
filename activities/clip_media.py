"""ClipMediaActivities (ugc-media): one pass over a stored video for its shots and 9:16 crop; clips cut and measured."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from temporalio import activity

from activities.heartbeat import threadsafe_heartbeat
from activities.objects import ObjectRef, presigned_get
from domain.clip_plan import ShotPass, copy_plan
from models.schemas import CutClipInput, CutClipOutput, ShotsInput, ShotsOutput

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

    from domain.clip_plan import Samples
    from domain.rules import ClipFeatures

PRESIGN_SECONDS = 3600
CLIP_MAX_EDGE = 1920
PASS_SUFFIX = ".shots"  # the pass's shots.json (and vertical.mp4) sit next to the source, under <key>.shots/
# clips of one video that share a start and framing share their first seconds: one face search serves them all
_FACES: dict[tuple[str, float, bool], bool | None] = {}
FACES_KEPT = 1024


class ClipMediaActivities:
    """FFmpeg work for clips; reads the source through presigned URLs, writes clips to the bucket."""

    def __init__(self, s3: S3Client):
        self.s3 = s3

    async def _url(self, key: str) -> str:
        return await presigned_get(self.s3, key, PRESIGN_SECONDS)

    @activity.defn
    async def detect_shots(self, params: ShotsInput) -> ShotsOutput:
        """Hard cuts of the whole video; in the same decode, a horizontal source's 9:16 crop for its clips."""
        from activities.clipping import loudness_blocks
        from activities.shot_pass import shot_pass

        url, work = await self._url(params.video_key), pass_ref(params.video_key)
        with tempfile.TemporaryDirectory(prefix="ugc-shots-") as workdir:
            crop = Path(workdir) / "vertical.mp4"
            shots = await asyncio.to_thread(shot_pass, url, crop, CLIP_MAX_EDGE, threadsafe_heartbeat(), False)
            # the loudness scan runs while the crop uploads; the crop carries the source's audio: read locally
            scan = str(crop) if shots.vertical_keyframes_s else url
            blocks, _ = await asyncio.gather(
                asyncio.to_thread(loudness_blocks, scan) if shots.has_audio else asyncio.sleep(0),
                self._store_crop(work, crop) if shots.vertical_keyframes_s else asyncio.sleep(0),
            )
        shots.loudness_blocks = blocks
        # written last: its presence says the crop it names is complete
        body = shots.model_dump_json().encode()
        await self.s3.put_object(Bucket=work.bucket, Key=f"{work.key}/shots.json", Body=body)
        return ShotsOutput(duration_s=shots.duration_s, cut_times_s=shots.cut_times_s, width=shots.width,
                           height=shots.height)  # fmt: skip

    async def _store_crop(self, work: ObjectRef, crop: Path) -> None:
        """The 9:16 crop next to the source, where every vertical clip is copied from."""
        body = await asyncio.to_thread(crop.read_bytes)  # a minute of 606x1080: tens of MB
        await self.s3.put_object(Bucket=work.bucket, Key=f"{work.key}/vertical.mp4", Body=body, ContentType="video/mp4")

    @activity.defn
    async def cut_clip(self, params: CutClipInput) -> CutClipOutput:
        """Copy (or re-encode) one clip, store it, and measure it (from the shot pass when there was one)."""
        from activities.clipping import clip_features, copy_clip, cut_clip

        url, work = await self._url(params.video_key), pass_ref(params.video_key)
        shots = await self._shots(work)
        span = (params.start_s, params.end_s)
        plan = copy_plan(shots, *span, params.vertical_crop) if shots is not None else None
        key = f"clips/{params.video_asset_id}/{params.clip_id}.mp4"
        with tempfile.TemporaryDirectory(prefix="ugc-clip-") as workdir:
            path, beat = Path(workdir) / "clip.mp4", threadsafe_heartbeat()
            if shots is not None and plan is not None:
                source = url if plan[0] == "source" else await self._url(f"{work}/vertical.mp4")
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
            await self.s3.put_object(Bucket=params.clips_bucket, Key=key, Body=body, ContentType="video/mp4")
        return CutClipOutput(clip_key=str(ObjectRef(params.clips_bucket, key)), features=features)

    async def _shots(self, work: ObjectRef) -> ShotPass | None:
        """What the shot pass left; None when it left nothing readable (say a run from before it kept anything)."""
        try:
            found = await self.s3.get_object(Bucket=work.bucket, Key=f"{work.key}/shots.json")
            async with found["Body"] as body:
                return ShotPass.model_validate_json(await body.read())
        except (self.s3.exceptions.NoSuchKey, ValidationError):
            return None


def pass_ref(video_key: str) -> ObjectRef:
    """Where the shot pass of a stored video keeps what its clips need."""
    ref = ObjectRef.parse(video_key)
    return ObjectRef(ref.bucket, ref.key + PASS_SUFFIX)


def pass_keys(video_key: str) -> list[str]:
    """Everything the shot pass may have stored: deleted once the clips are cut."""
    work = pass_ref(video_key)
    return [f"{work}/vertical.mp4", f"{work}/shots.json"]


def span_features(
    path: Path,
    samples: Samples,
    blocks: Any,
    span: tuple[float, float],
    face_key: tuple[str, float, bool] | None = None,
) -> ClipFeatures:
    """A clip's features from its file's size and length and the source's samples and loudness over its span."""
    import av

    from activities.clipping import FACE_INSTANTS_S
    from activities.local_analyzer import DYNAMIC_START_S, VideoMeasurements, detect_cuts, pacing_label
    from domain.clip_plan import span_loudness, span_pairs
    from domain.rules import ClipFeatures

    with av.open(str(path)) as container:
        video, has_audio = container.streams.video[0], bool(container.streams.audio)
        duration = float(video.duration * video.time_base) if video.duration and video.time_base else 0.0
        width, height = video.codec_context.width, video.codec_context.height
    start, end = span[0], min(span[1], span[0] + duration)
    pairs = span_pairs(samples.times, start, end)
    # the clip's own time and its own threshold, as measure_video would see the clip
    mids = [(samples.times[i] + samples.times[i + 1]) / 2 - start for i in pairs]
    cuts, threshold = detect_cuts(mids, [samples.scores[i] for i in pairs])
    still = [samples.diffs[i] for i in pairs if samples.scores[i] <= threshold]
    m = VideoMeasurements(
        duration_s=round(duration, 3), cuts_per_5s=round(len(cuts) * 5.0 / max(duration, 1e-3), 3),
        mean_motion=sum(still) / len(still) if still else 0.0,
    )  # fmt: skip
    pacing = pacing_label(m)
    # a clip under 1.6 s looks at other instants than a longer one from the same start
    face = _face(path, face_key if duration >= max(FACE_INSTANTS_S) + 0.1 else None)
    return ClipFeatures(
        duration_s=m.duration_s, width=width, height=height, has_audio=has_audio, cuts_per_5s=m.cuts_per_5s,
        dynamic_start=bool(cuts) and cuts[0] < DYNAMIC_START_S, face_in_first_seconds=face,
        loudness_lufs=span_loudness(blocks, start, end) if has_audio and blocks else None,
        pacing=None if pacing == "unknown" else pacing,
    )  # fmt: skip


def _face(path: Path, key: tuple[str, float, bool] | None) -> bool | None:
    """face_in_first_seconds of the clip, or of an earlier clip with the same key."""
    from activities.clipping import face_in_first_seconds

    if key is not None and key in _FACES:
        return _FACES[key]
    face = face_in_first_seconds(path)
    if key is not None:
        if len(_FACES) >= FACES_KEPT:
            _FACES.clear()
        _FACES[key] = face
    return face
