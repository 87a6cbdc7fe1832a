"""AnalyzeCreativeWorkflow: one entity workflow per creative; analyzes when its trigger says so."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.triggers import AnalysisTrigger, analysis_trigger
    from models.schemas import AnalyzeCreativeInput

# after an analysis the workflow keeps listening for force_analyze this long, then completes
DEFAULT_IDLE_TIMEOUT = timedelta(days=7)
MAX_HISTORY_EVENTS = 2_000


def analysis_workflow_id(creative_id: object) -> str:
    return f"creative-{creative_id}"


@workflow.defn
class AnalyzeCreativeWorkflow:
    """Waits for its trigger (benchmark: now; client: 5 conversions; force: now), then analyzes."""

    def __init__(self) -> None:
        self._phase = "waiting"
        self._conversions = 0
        self._pending_force = 0
        self._analyses_done = 0
        self._is_benchmark = False

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
        while True:
            timeout = DEFAULT_IDLE_TIMEOUT if self._analyses_done else None
            self._phase = "listening" if self._analyses_done else "waiting"
            try:
                await workflow.wait_condition(lambda: self._due() is not None, timeout=timeout)
            except TimeoutError:
                self._phase = "idle"
                return self.status()
            trigger = self._due()
            if trigger is AnalysisTrigger.FORCE:
                self._pending_force -= 1
            self._phase = "analyzing"
            await self._analyze(params, trigger)
            self._analyses_done += 1
            if workflow.info().get_current_history_length() > MAX_HISTORY_EVENTS:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    AnalyzeCreativeInput(
                        creative_id=params.creative_id,
                        is_benchmark=self._is_benchmark,
                        conversions=self._conversions,
                        analyses_done=self._analyses_done,
                        pending_force=self._pending_force,
                    )
                )

    async def _analyze(self, params: AnalyzeCreativeInput, trigger: AnalysisTrigger | None) -> None:
        """Frames → Claude Vision → stored analysis (filled in by the creative-analysis issue)."""
        workflow.logger.info("analysis of %s due (%s)", params.creative_id, trigger)
