"""When a creative is analyzed: a benchmark at once, a client creative after 5 conversions, force always."""

from __future__ import annotations

from enum import StrEnum

CONVERSIONS_TO_ANALYZE = 5


class AnalysisTrigger(StrEnum):
    BENCHMARK = "benchmark"
    CONVERSIONS = "conversions"
    FORCE = "force"


def analysis_trigger(
    *, is_benchmark: bool, conversions: int, forced: bool, threshold: int = CONVERSIONS_TO_ANALYZE
) -> AnalysisTrigger | None:
    """The reason to analyze now, or None to keep waiting; force bypasses every other rule."""
    if forced:
        return AnalysisTrigger.FORCE
    if is_benchmark:
        return AnalysisTrigger.BENCHMARK
    if conversions >= threshold:
        return AnalysisTrigger.CONVERSIONS
    return None
