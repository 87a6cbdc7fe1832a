from datetime import UTC, datetime, timedelta

import pytest

from domain.triggers import AnalysisTrigger, TriggerState, analysis_trigger


@pytest.mark.parametrize(
    ("is_benchmark", "conversions", "expected"),
    [
        (True, 0, AnalysisTrigger.BENCHMARK),
        (True, 9, AnalysisTrigger.BENCHMARK),
        (False, 0, None),
        (False, 4, None),
        (False, 5, AnalysisTrigger.CONVERSIONS),
        (False, 6, AnalysisTrigger.CONVERSIONS),
    ],
)
def test_triggers(is_benchmark: bool, conversions: int, expected: AnalysisTrigger | None) -> None:
    assert analysis_trigger(is_benchmark=is_benchmark, conversions=conversions) == expected


def test_threshold_is_a_parameter() -> None:
    assert analysis_trigger(is_benchmark=False, conversions=2, threshold=2) is AnalysisTrigger.CONVERSIONS


NOW = datetime(2025, 1, 1, tzinfo=UTC)
DELAYS = (timedelta(minutes=10), timedelta(hours=1))


def test_a_failed_analysis_keeps_its_trigger_and_waits_before_retrying() -> None:
    state = TriggerState(conversions=5)
    assert state.due() is AnalysisTrigger.CONVERSIONS
    state.failed(AnalysisTrigger.CONVERSIONS, NOW, DELAYS)
    assert state.analyses_done == 0 and state.due() is None and state.waiting_to_retry()
    assert state.retry_at == NOW + DELAYS[0] and "retrying at" in state.phase()
    state.retry_ready = True  # the workflow's timer fired
    assert state.due() is AnalysisTrigger.CONVERSIONS
    state.failed(AnalysisTrigger.CONVERSIONS, NOW, DELAYS)
    assert state.failures == 2 and state.retry_at == NOW + DELAYS[1]
    state.retry_ready = True
    state.failed(AnalysisTrigger.CONVERSIONS, NOW, DELAYS)  # the waits are spent
    assert state.retry_at is None and not state.waiting_to_retry() and state.due() is None
    assert state.phase() == "analysis failed (3x), waiting for a trigger"
    state.add_conversions(5)  # not news
    assert state.due() is None
    state.add_conversions(6)  # the next trigger
    assert state.due() is AnalysisTrigger.CONVERSIONS
    state.succeeded()
    assert (state.analyses_done, state.failed_trigger, state.failures, state.due()) == (1, None, 0, None)


def test_a_force_serves_an_owed_trigger_and_a_failed_force_keeps_it_owed() -> None:
    state = TriggerState(conversions=5)
    state.failed(AnalysisTrigger.CONVERSIONS, NOW, DELAYS)
    state.pending_force = 1
    assert state.due() is AnalysisTrigger.FORCE
    state.pending_force = 0
    state.failed(AnalysisTrigger.FORCE, NOW, DELAYS)
    assert state.failed_trigger is AnalysisTrigger.CONVERSIONS  # a new conversion still re-arms it
    state.add_conversions(7)
    assert state.due() is AnalysisTrigger.CONVERSIONS


def test_conversions_do_not_re_arm_a_failed_benchmark_or_force() -> None:
    for trigger in (AnalysisTrigger.BENCHMARK, AnalysisTrigger.FORCE):
        state = TriggerState(is_benchmark=trigger is AnalysisTrigger.BENCHMARK, analyses_done=1)
        state.failed(trigger, NOW, ())
        state.add_conversions(50)
        assert state.due() is None and state.retry_at is None
