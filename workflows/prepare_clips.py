"""PrepareClipsWorkflow: probe → shot boundaries → candidate clips cut and measured in parallel."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.clip_media import ClipMediaActivities
    from activities.clip_records import ClipRecordsActivities
    from activities.errors import INVALID_VIDEO
    from activities.media import MediaActivities
    from domain.clip_plan import ClipPlan, plan_clips
    from models.schemas.clips import (
        AssetProbeInput,
        ClipRecordInput,
        CutClipInput,
        FinishAssetInput,
        PrepareClipsInput,
        PrepareClipsOutput,
        ShotsInput,
        ShotsOutput,
    )
    from models.schemas.media import ProbeVideoInput
    from storage.keys import shot_pass_keys
    from telemetry.metrics import CLIPS_CUT
    from workflows.common import delete_objects, failure_of, record
    from workflows.policies import CLIPS_TIMEOUT, MEDIA_HEARTBEAT, MEDIA_RETRY
    from workflows.queues import TASK_QUEUE_MEDIA
    from workflows.search_attributes import VIDEO_ASSET_ID, upsert


def prepare_clips_workflow_id(video_asset_id: object) -> str:
    return f"clips-{video_asset_id}"


@workflow.defn
class PrepareClipsWorkflow:
    """A client video becomes candidate clips with features, each READY or FAILED with a reason; a video
    that cannot be clipped leaves its asset `failed` with the reason (a refused upload also loses its object)."""

    def __init__(self) -> None:
        self._phase = "starting"

    @workflow.query
    def progress(self) -> str:
        return self._phase

    @workflow.run
    async def run(self, params: PrepareClipsInput) -> PrepareClipsOutput:
        upsert({VIDEO_ASSET_ID: params.video_asset_id})
        self._phase = "probing"
        try:
            probe = await workflow.execute_activity_method(
                MediaActivities.probe_video,
                ProbeVideoInput(key=params.video_key),
                task_queue=TASK_QUEUE_MEDIA,
                start_to_close_timeout=CLIPS_TIMEOUT,
                heartbeat_timeout=MEDIA_HEARTBEAT,
                retry_policy=MEDIA_RETRY,
            )
        except ActivityError as err:
            reason, error_type = failure_of(err, INVALID_VIDEO)
            await record(
                ClipRecordsActivities.record_asset_probe,
                AssetProbeInput(video_asset_id=params.video_asset_id, probe=None, reason=reason),
            )
            # a refused upload is nobody's video: its object goes (runs started before this step keep it)
            if error_type == INVALID_VIDEO and workflow.patched("delete-refused-upload"):
                await delete_objects([params.video_key], "the refused upload")
            self._phase = "failed"
            raise ApplicationError(reason, type=error_type, non_retryable=True) from err
        await record(
            ClipRecordsActivities.record_asset_probe, AssetProbeInput(video_asset_id=params.video_asset_id, probe=probe)
        )
        # runs started before this step planned from the opening only, after the pass
        spread = workflow.patched("clips-whole-video")
        shots = await self._shots(params, params.max_candidates if spread else None)
        if shots.candidates is not None:  # chosen by the pass from every shot start, ranked by what it measured
            plans = [ClipPlan(c.start_s, c.end_s, c.vertical_crop, c.reason) for c in shots.candidates]
        else:  # the shot pass reports displayed (rotation-aware) dimensions, which decide 'horizontal'
            plans = plan_clips(shots.cut_times_s, probe.duration_s, shots.width, shots.height, params.max_candidates)
        self._phase = f"cutting {len(plans)} clips"
        outcomes = await asyncio.gather(*(self._clip(params, plan) for plan in plans))
        ready = sum(outcomes)
        CLIPS_CUT.add(ready, outcome="ready")
        CLIPS_CUT.add(len(plans) - ready, outcome="failed")
        await record(
            ClipRecordsActivities.finish_asset,
            FinishAssetInput(video_asset_id=params.video_asset_id, ready=ready, failed=len(plans) - ready),
        )
        if workflow.patched("delete-shot-pass"):  # runs started before this step replay without it
            await self._delete_shot_pass(params.video_key)
        self._phase = "done"
        return PrepareClipsOutput(
            video_asset_id=params.video_asset_id, clips_ready=ready, clips_failed=len(plans) - ready
        )

    async def _shots(self, params: PrepareClipsInput, max_candidates: int | None) -> ShotsOutput:
        """The shot pass (planning the candidates when given their cap); if it fails, the asset is `failed` with
        the reason (not left `clipping`)."""
        self._phase = "finding shot boundaries"
        try:
            return await workflow.execute_activity_method(
                ClipMediaActivities.detect_shots,
                ShotsInput(video_key=params.video_key, max_candidates=max_candidates),
                task_queue=TASK_QUEUE_MEDIA,
                start_to_close_timeout=CLIPS_TIMEOUT,
                heartbeat_timeout=MEDIA_HEARTBEAT,
                retry_policy=MEDIA_RETRY,
            )
        except ActivityError as err:
            if not workflow.patched("shot-pass-failure"):  # runs started before this step failed without a record
                raise
            reason, error_type = failure_of(err, "ShotPassFailed")
            # the asset's `failed` + reason, as for a refused probe: no clip can be made from this video
            await record(ClipRecordsActivities.record_asset_probe, AssetProbeInput(
                video_asset_id=params.video_asset_id, probe=None, reason=f"the shot pass failed: {reason}"
            ))  # fmt: skip
            await self._delete_shot_pass(params.video_key)  # a pass that failed late may have stored its crop
            self._phase = "failed"
            raise ApplicationError(reason, type=error_type, non_retryable=True) from err

    async def _delete_shot_pass(self, video_key: str) -> None:
        """The pass's 9:16 crop and shots.json (tens of MB a minute of video) only served these clips."""
        self._phase = "removing the shot pass's working files"
        await delete_objects(shot_pass_keys(video_key), "the shot pass's files")

    async def _clip(self, params: PrepareClipsInput, plan: ClipPlan) -> bool:
        """One candidate: PENDING, then READY with its features or FAILED with the reason."""
        clip_id = workflow.uuid4()
        variant = "vertical" if plan.vertical_crop else "original"
        base = {
            "clip_id": clip_id,
            "video_asset_id": params.video_asset_id,
            "start_s": plan.start_s,
            "end_s": plan.end_s,
            "variant": variant,
        }
        pending = asyncio.ensure_future(
            record(ClipRecordsActivities.record_clip, ClipRecordInput(status="PENDING", **base))
        )
        # the cut needs no row: it starts with the PENDING record (runs started before this waited for it)
        if not workflow.patched("cut-while-pending"):
            await pending
        try:
            cut = await workflow.execute_activity_method(
                ClipMediaActivities.cut_clip,
                CutClipInput(
                    video_asset_id=params.video_asset_id,
                    clip_id=clip_id,
                    video_key=params.video_key,
                    clips_bucket=params.clips_bucket,
                    start_s=plan.start_s,
                    end_s=plan.end_s,
                    vertical_crop=plan.vertical_crop,
                ),
                task_queue=TASK_QUEUE_MEDIA,
                start_to_close_timeout=CLIPS_TIMEOUT,
                heartbeat_timeout=MEDIA_HEARTBEAT,
                retry_policy=MEDIA_RETRY,
            )
        except ActivityError as err:
            reason, _ = failure_of(err, "ClipCutFailed")
            await pending  # the outcome is written after PENDING, never overwritten by it
            await record(
                ClipRecordsActivities.record_clip, ClipRecordInput(status="FAILED", failure_reason=reason, **base)
            )
            return False
        await pending
        await record(
            ClipRecordsActivities.record_clip,
            ClipRecordInput(status="READY", clip_key=cut.clip_key, features=cut.features, **base),
        )
        return True
