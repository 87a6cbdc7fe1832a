"""When a creative is analyzed: a benchmark at once, a client creative after 5 conversions, and again when
an analysis failed. `force_analyze` is not a rule here: an admin's request is served whatever these say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CONVERSIONS_TO_ANALYZE = 5


class AnalysisTrigger(StrEnum):
    BENCHMARK = "benchmark"
    CONVERSIONS = "conversions"
    FORCE = "force"


def analysis_trigger(
    *, is_benchmark: bool, conversions: int, threshold: int = CONVERSIONS_TO_ANALYZE
) -> AnalysisTrigger | None:
    """The automatic reason to analyze now, or None to keep waiting."""
    if is_benchmark:
        return AnalysisTrigger.BENCHMARK
    if conversions >= threshold:
        return AnalysisTrigger.CONVERSIONS
    return None


@dataclass
class TriggerState:
    """A creative's triggers as its workflow knows them (pure: the workflow supplies the clock and delays).

    Only a successful analysis uses up a trigger. A failed one stays owed: due again when its retry wait is
    over, or at once on its next trigger (a higher conversion total for a conversions trigger, a force for
    any). Once the waits are spent, only a next trigger, or a new run of the workflow, analyzes again.
    """

    is_benchmark: bool = False
    conversions: int = 0
    analyses_done: int = 0
    pending_force: int = 0  # forces asked for and not yet served
    failed_trigger: AnalysisTrigger | None = None
    failures: int = 0  # consecutive failed attempts at `failed_trigger`
    retry_at: datetime | None = None  # when it is tried again by itself; None once the waits are spent
    retry_ready: bool = False  # its wait is over, or its next trigger came

    def due(self) -> AnalysisTrigger | None:
        if self.pending_force:
            return AnalysisTrigger.FORCE
        if self.failed_trigger is not None:
            return self.failed_trigger if self.retry_ready else None
        if self.analyses_done:
            return None  # benchmark and conversion triggers fire once; later runs are forced
        return analysis_trigger(is_benchmark=self.is_benchmark, conversions=self.conversions)

    def add_conversions(self, total: int) -> None:
        """A running total: a repeated or older total changes nothing."""
        if total > self.conversions and self.failed_trigger is AnalysisTrigger.CONVERSIONS:
            self.retry_ready = True
        self.conversions = max(self.conversions, total)

    def waiting_to_retry(self) -> bool:
        return self.failed_trigger is not None and self.retry_at is not None and not self.retry_ready

    def succeeded(self) -> None:
        self.analyses_done += 1
        self.failed_trigger, self.failures, self.retry_at, self.retry_ready = None, 0, None, False

    def failed(self, trigger: AnalysisTrigger, now: datetime, delays: Sequence[timedelta]) -> None:
        """The trigger stays owed (an automatic one even when a force failed after it, so its next trigger
        still counts); tried again after delays[0], delays[1], ... then only on a next trigger."""
        self.failed_trigger = self.failed_trigger or trigger
        self.failures += 1
        self.retry_ready = False
        self.retry_at = now + delays[self.failures - 1] if self.failures <= len(delays) else None

    def phase(self) -> str:
        if self.failed_trigger is not None:
            when = f"retrying at {self.retry_at.isoformat()}" if self.retry_at and self.waiting_to_retry() else ""
            return f"analysis failed ({self.failures}x), {when or 'waiting for a trigger'}"
        return "listening for force_analyze" if self.analyses_done else "waiting for trigger"
