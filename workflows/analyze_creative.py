"""AnalyzeCreativeWorkflow: one entity workflow per creative; analyzes when its trigger says so."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.analysis_records import AnalysisRecordsActivities
    from activities.errors import INVALID_VIDEO
    from activities.media import MediaActivities
    from activities.vision import VisionActivities
    from domain.triggers import AnalysisTrigger, analysis_trigger
    from models.schemas.analysis import (
        AnalysisStatusInput,
        AnalyzeCreativeInput,
        AnalyzeFramesInput,
        ApplyAnalysisInput,
        ExtractFramesInput,
        ProbeResultInput,
    )
    from models.schemas.media import ProbeVideoInput
    from workflows.common import failure_of, record
    from workflows.policies import MEDIA_HEARTBEAT, MEDIA_RETRY, MEDIA_TIMEOUT, VISION_RETRY, VISION_TIMEOUT
    from workflows.queues import TASK_QUEUE_MEDIA

MAX_HISTORY_EVENTS = 2_000


def analysis_workflow_id(creative_id: object) -> str:
    return f"creative-{creative_id}"


@workflow.defn
class AnalyzeCreativeWorkflow:
    """Waits for its trigger (benchmark: now; client: 5 conversions; force: now), then analyzes."""

    def __init__(self) -> None:
        self._phase = "starting"
        self._conversions = 0
        self._pending_force = 0
        self._analyses_done = 0
        self._is_benchmark = False
        self._last_error: str | None = None

    @workflow.signal
    def record_conversions(self, total_conversions: int) -> None:
        """The creative's conversion total (a total, not a delta: a repeated signal changes nothing)."""
        self._conversions = max(self._conversions, total_conversions)

    @workflow.signal
    def force_analyze(self) -> None:
        """An admin asks for a (re-)analysis now, whatever the triggers say."""
        self._pending_force += 1

    @workflow.query
    def progress(self) -> str:
        return self._phase

    @workflow.query
    def status(self) -> dict[str, object]:
        return {
            "phase": self._phase,
            "conversions": self._conversions,
            "analyses_done": self._analyses_done,
            "pending_force": self._pending_force,
            "last_error": self._last_error,
        }

    def _due(self) -> AnalysisTrigger | None:
        if self._pending_force:
            return AnalysisTrigger.FORCE
        if self._analyses_done:
            return None  # benchmark and conversion triggers fire once; later runs are forced
        return analysis_trigger(is_benchmark=self._is_benchmark, conversions=self._conversions, forced=False)

    @workflow.run
    async def run(self, params: AnalyzeCreativeInput) -> dict[str, object]:
        self._is_benchmark = params.is_benchmark
        self._conversions = max(self._conversions, params.conversions)
        self._analyses_done = params.analyses_done
        self._pending_force += params.pending_force
        if not params.probed:
            await self._probe(params)
        idle = timedelta(seconds=params.options.idle_timeout_seconds)
        while True:
            self._phase = "listening for force_analyze" if self._analyses_done else "waiting for trigger"
            try:
                # a client creative may wait for its 5th conversion indefinitely; after an analysis the
                # workflow stays for re-analysis requests until it has been idle this long
                await workflow.wait_condition(
                    lambda: self._due() is not None, timeout=idle if self._analyses_done else None
                )
            except TimeoutError:
                self._phase = "idle: completed"
                return self.status()
            trigger = self._due()
            if trigger is AnalysisTrigger.FORCE:
                self._pending_force -= 1
            assert trigger is not None
            await self._analyze(params, trigger)
            self._analyses_done += 1
            if workflow.info().get_current_history_length() > MAX_HISTORY_EVENTS:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    params.model_copy(
                        update={
                            "probed": True,
                            "conversions": self._conversions,
                            "analyses_done": self._analyses_done,
                            "pending_force": self._pending_force,
                        }
                    )
                )

    async def _probe(self, params: AnalyzeCreativeInput) -> None:
        """A client upload is checked before anything waits on it; a bad one fails the workflow."""
        self._phase = "probing"
        try:
            probe = await workflow.execute_activity_method(
                MediaActivities.probe_video,
                ProbeVideoInput(key=params.video_key),
                task_queue=TASK_QUEUE_MEDIA,
                start_to_close_timeout=MEDIA_TIMEOUT,
                heartbeat_timeout=MEDIA_HEARTBEAT,
                retry_policy=MEDIA_RETRY,
            )
        except ActivityError as err:
            reason, error_type = failure_of(err, INVALID_VIDEO)
            await record(AnalysisRecordsActivities.record_probe, ProbeResultInput(
                creative_id=params.creative_id, probe=None, reason=reason
            ))  # fmt: skip
            self._phase = "failed"
            raise ApplicationError(reason, type=error_type, non_retryable=True) from err
        await record(
            AnalysisRecordsActivities.record_probe,
            ProbeResultInput(creative_id=params.creative_id, probe=probe),
        )

    async def _analyze(self, params: AnalyzeCreativeInput, trigger: AnalysisTrigger) -> None:
        """Frames → vision → stored analysis; a failure is recorded and the workflow keeps listening."""
        analysis_id = workflow.uuid4()
        set_status = AnalysisRecordsActivities.set_analysis_status
        self._phase = f"analyzing ({trigger.value}): extracting frames"
        await record(set_status, AnalysisStatusInput(creative_id=params.creative_id, analysis_status="analyzing"))
        try:
            frames = await workflow.execute_activity_method(
                MediaActivities.extract_frames,
                ExtractFramesInput(
                    creative_id=params.creative_id,
                    analysis_id=analysis_id,
                    video_key=params.video_key,
                    frames_bucket=params.frames_bucket,
                    timestamps=params.options.frame_timestamps,
                    max_edge=params.options.frame_max_edge,
                ),
                task_queue=TASK_QUEUE_MEDIA,
                start_to_close_timeout=MEDIA_TIMEOUT,
                heartbeat_timeout=MEDIA_HEARTBEAT,
                retry_policy=MEDIA_RETRY,
            )
            self._phase = f"analyzing ({trigger.value}): {params.vision_backend} vision"
            request = AnalyzeFramesInput(
                analysis_id=analysis_id,
                creative_id=params.creative_id,
                trigger=trigger.value,
                video_key=params.video_key,
                frames=frames.frames,
            )
            if params.vision_backend == "anthropic":
                answer = await workflow.execute_activity_method(
                    VisionActivities.analyze_frames,
                    request,
                    start_to_close_timeout=VISION_TIMEOUT,
                    retry_policy=VISION_RETRY,
                )
            else:
                answer = await workflow.execute_activity_method(
                    VisionActivities.analyze_frames_locally,
                    request,
                    task_queue=TASK_QUEUE_MEDIA,
                    start_to_close_timeout=MEDIA_TIMEOUT,
                    heartbeat_timeout=MEDIA_HEARTBEAT,
                    retry_policy=MEDIA_RETRY,
                )
        except ActivityError as err:
            reason, _ = failure_of(err, INVALID_VIDEO)
            self._last_error = reason
            await record(set_status, AnalysisStatusInput(
                creative_id=params.creative_id, analysis_status="failed", reason=reason
            ))  # fmt: skip
            return
        self._phase = f"analyzing ({trigger.value}): saving"
        await record(
            AnalysisRecordsActivities.apply_analysis,
            ApplyAnalysisInput(
                creative_id=params.creative_id, analysis_id=answer.analysis_id, insights=answer.insights
            ),
        )
        self._last_error = None
