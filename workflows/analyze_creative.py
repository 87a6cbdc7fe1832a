"""AnalyzeCreativeWorkflow: one entity workflow per creative; analyzes when its trigger says so."""

from __future__ import annotations

from datetime import timedelta
from typing import NoReturn

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.analysis_records import AnalysisRecordsActivities
    from activities.errors import INVALID_VIDEO
    from activities.media import MediaActivities
    from activities.vision import VisionActivities
    from domain.triggers import AnalysisTrigger, TriggerState
    from models.schemas.analysis import (
        AnalysisStatusInput,
        AnalyzeCreativeInput,
        AnalyzeFramesInput,
        ApplyAnalysisInput,
        ExtractFramesInput,
        ProbeResultInput,
    )
    from models.schemas.media import ProbeVideoInput
    from telemetry.metrics import ANALYSES
    from workflows.common import delete_objects, failure_of, record
    from workflows.policies import (
        ANALYSIS_RETRY_DELAYS,
        MEDIA_HEARTBEAT,
        MEDIA_RETRY,
        MEDIA_TIMEOUT,
        VISION_RETRY,
        VISION_TIMEOUT,
    )
    from workflows.queues import TASK_QUEUE_MEDIA
    from workflows.search_attributes import CREATIVE_ID, TRIGGER, upsert

# failures do not use up triggers, forces coalesce, continue-as-new while waiting: runs started before these
# rules keep the old ones (replay); a run adopts them where they first differ, so waiting runs switch over
HONEST_STATE = "honest-analysis-state"


def analysis_workflow_id(creative_id: object) -> str:
    return f"creative-{creative_id}"


@workflow.defn
class AnalyzeCreativeWorkflow:
    """Waits for its trigger (benchmark: now; client: 5 conversions; force: now), then analyzes; a failed
    analysis leaves its trigger owed (domain.triggers.TriggerState), retried after ANALYSIS_RETRY_DELAYS."""

    def __init__(self) -> None:
        self._phase = "starting"
        self._state = TriggerState()
        self._last_error: str | None = None
        self._rules: bool | None = None  # HONEST_STATE's answer, once asked

    @workflow.signal
    def record_conversions(self, total_conversions: int) -> None:
        """The creative's conversion total (a total, not a delta: a repeated signal changes nothing)."""
        self._state.add_conversions(total_conversions)

    @workflow.signal
    def force_analyze(self) -> None:
        """An admin asks for a (re-)analysis now; requests made while one is pending or running join it."""
        self._state.pending_force += 1

    @workflow.query
    def progress(self) -> str:
        return self._phase

    @workflow.query
    def status(self) -> dict[str, object]:
        state = self._state
        return {
            "phase": self._phase,
            "conversions": state.conversions,
            "analyses_done": state.analyses_done,
            "pending_force": state.pending_force,
            "last_error": self._last_error,
            "failed_trigger": state.failed_trigger.value if state.failed_trigger else None,
            "failures": state.failures,
            "retry_at": state.retry_at.isoformat() if state.retry_at else None,
        }

    def _new_rules(self) -> bool:
        if self._rules is None:
            self._rules = workflow.patched(HONEST_STATE)
        return self._rules

    def _history_is_long(self, params: AnalyzeCreativeInput) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or (
            info.get_current_history_length() > params.options.max_history_events
        )

    def _wakes(self, params: AnalyzeCreativeInput) -> bool:
        # a long history wakes the wait too, unless this run keeps the old rules (which never did)
        return self._state.due() is not None or (self._rules is not False and self._history_is_long(params))

    def _wait_timeout(self, params: AnalyzeCreativeInput) -> timedelta | None:
        """A client creative may wait for its 5th conversion indefinitely; after an analysis (or after the
        waits of a failed one are spent) the workflow stays for new requests until idle this long."""
        state, idle = self._state, timedelta(seconds=params.options.idle_timeout_seconds)
        if state.waiting_to_retry() and state.retry_at is not None:
            return max(state.retry_at - workflow.now(), timedelta(seconds=1))
        return idle if state.analyses_done or state.failed_trigger else None

    @workflow.run
    async def run(self, params: AnalyzeCreativeInput) -> dict[str, object]:
        state = self._state
        state.is_benchmark = params.is_benchmark
        state.conversions = max(state.conversions, params.conversions)
        state.analyses_done = params.analyses_done
        state.pending_force += params.pending_force
        state.failed_trigger = AnalysisTrigger(params.failed_trigger) if params.failed_trigger else None
        state.failures, state.retry_at = params.failures, params.retry_at
        upsert({CREATIVE_ID: params.creative_id})  # a run started by an older caller learns its own id
        if not params.probed:
            await self._probe(params)
        while True:
            timeout = self._wait_timeout(params)
            if timeout is not None:
                self._new_rules()  # decided before a timer starts: a wake its rules did not know would cancel it
            self._phase = state.phase()
            try:
                await workflow.wait_condition(lambda: self._wakes(params), timeout=timeout)
            except TimeoutError:
                if state.waiting_to_retry():
                    state.retry_ready = True  # the wait after a failure is over: its trigger is due again
                    continue
                self._phase = "idle: completed"
                return self.status()
            trigger = state.due()
            if trigger is None:  # woken by a long history: carry on in a fresh run
                if self._new_rules():
                    await self._continue_as_new(params)
                continue
            await self._serve(params, trigger)
            if self._new_rules():
                if self._history_is_long(params):
                    await self._continue_as_new(params)
            elif workflow.info().get_current_history_length() > params.options.max_history_events:
                await self._continue_as_new(params)

    async def _serve(self, params: AnalyzeCreativeInput, trigger: AnalysisTrigger) -> None:
        """One analysis and its accounting: only a success uses up the trigger."""
        state = self._state
        upsert({TRIGGER: trigger.value})
        if trigger is AnalysisTrigger.FORCE:
            if self._new_rules():
                state.pending_force = 0  # every request so far is answered by this one analysis
            else:
                state.pending_force -= 1
        succeeded = await self._analyze(params, trigger)
        if not self._new_rules():
            state.analyses_done += 1  # the old rule: a failure counted as done
            return
        state.pending_force = 0  # requests that came while it ran are answered by it
        if succeeded:
            state.succeeded()
        else:
            state.failed(trigger, workflow.now(), ANALYSIS_RETRY_DELAYS)

    async def _continue_as_new(self, params: AnalyzeCreativeInput) -> NoReturn:
        await workflow.wait_condition(workflow.all_handlers_finished)
        state = self._state
        workflow.continue_as_new(
            params.model_copy(
                update={
                    "probed": True,
                    "conversions": state.conversions,
                    "analyses_done": state.analyses_done,
                    "pending_force": state.pending_force,
                    "failed_trigger": state.failed_trigger.value if state.failed_trigger else None,
                    "failures": state.failures,
                    "retry_at": state.retry_at,
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
            # a refused upload is nobody's video: its object goes (runs started before this step keep it)
            if error_type == INVALID_VIDEO and params.video_key and workflow.patched("delete-refused-upload"):
                await delete_objects([params.video_key], "the refused upload")
            self._phase = "failed"
            raise ApplicationError(reason, type=error_type, non_retryable=True) from err
        await record(
            AnalysisRecordsActivities.record_probe,
            ProbeResultInput(creative_id=params.creative_id, probe=probe),
        )

    async def _analyze(self, params: AnalyzeCreativeInput, trigger: AnalysisTrigger) -> bool:
        """Frames → vision → stored analysis; a failure is recorded (status `failed`, reason) and False."""
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
            ANALYSES.add(backend=params.vision_backend, outcome="failed")
            await record(set_status, AnalysisStatusInput(
                creative_id=params.creative_id, analysis_status="failed", reason=reason
            ))  # fmt: skip
            return False
        self._phase = f"analyzing ({trigger.value}): saving"
        await record(
            AnalysisRecordsActivities.apply_analysis,
            ApplyAnalysisInput(
                creative_id=params.creative_id, analysis_id=answer.analysis_id, insights=answer.insights
            ),
        )
        self._last_error = None
        ANALYSES.add(backend=params.vision_backend, outcome="succeeded")
        return True
