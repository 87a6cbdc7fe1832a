import pytest

from domain.triggers import AnalysisTrigger, analysis_trigger


@pytest.mark.parametrize(
    ("is_benchmark", "conversions", "forced", "expected"),
    [
        (True, 0, False, AnalysisTrigger.BENCHMARK),
        (False, 4, False, None),
        (False, 5, False, AnalysisTrigger.CONVERSIONS),
        (False, 0, True, AnalysisTrigger.FORCE),
        (True, 0, True, AnalysisTrigger.FORCE),
    ],
)
def test_triggers(is_benchmark: bool, conversions: int, forced: bool, expected: AnalysisTrigger | None) -> None:
    assert analysis_trigger(is_benchmark=is_benchmark, conversions=conversions, forced=forced) == expected
