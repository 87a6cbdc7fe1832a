"""Graph error bodies and usage headers mapped to failures and pacing (pure)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ads.meta.errors import MetaInvalidRequest, MetaThrottled, MetaTokenExpired, MetaTransient, graph_error
from ads.meta.usage import Pacer, Usage, parse_usage


def body(code: int, subcode: int | None = None, transient: bool = False, message: str = "boom") -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "is_transient": transient}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80000, 80004, 80014])
def test_throttling_codes_are_retryable_after_metas_regain_estimate(code: int) -> None:
    error = graph_error(400, body(code), Usage(percent=100, regain_minutes=3))
    assert isinstance(error, MetaThrottled) and error.retryable
    assert error.retry_after == timedelta(minutes=3)


def test_throttling_without_an_estimate_still_waits_the_minimum() -> None:
    error = graph_error(400, body(17), Usage(), min_throttle_delay=timedelta(seconds=5))
    assert isinstance(error, MetaThrottled) and error.retry_after == timedelta(seconds=5)


def test_80015_is_not_a_throttle() -> None:
    assert isinstance(graph_error(400, body(80015), Usage()), MetaInvalidRequest)


def test_expired_token_is_typed_and_final() -> None:
    error = graph_error(400, body(190, 463, message="Session has expired"), Usage())
    assert isinstance(error, MetaTokenExpired) and not error.retryable
    assert error.code == 190 and error.subcode == 463 and "Session has expired" in error.message


def test_validation_error_keeps_metas_message_and_is_final() -> None:
    error = graph_error(400, body(100, 1885272, message="(#100) The daily budget is too low"), Usage())
    assert isinstance(error, MetaInvalidRequest) and not error.retryable
    assert "The daily budget is too low" in error.message and "100/1885272" in error.message


def test_is_transient_and_5xx_are_retryable() -> None:
    assert isinstance(graph_error(400, body(1234, transient=True), Usage()), MetaTransient)
    assert isinstance(graph_error(502, "<html>", Usage()), MetaTransient)
    assert isinstance(graph_error(500, body(2), Usage()), MetaTransient)
    assert isinstance(graph_error(404, None, Usage()), MetaInvalidRequest)


def test_usage_headers_parse_to_the_highest_percent_and_regain_time() -> None:
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(
            {
                "123": [
                    {
                        "type": "ads_management",
                        "call_count": 40,
                        "total_cputime": 81,
                        "total_time": 12,
                        "estimated_time_to_regain_access": 2,
                    }
                ]
            }
        ),
        "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 55.5, "reset_time_duration": 30}),
        "X-App-Usage": "not json",
    }
    usage = parse_usage(headers)
    assert usage.percent == 81 and usage.regain_minutes == 2 and usage.regain_delay() == timedelta(minutes=2)
    assert parse_usage({}) == Usage()


def test_pacer_spaces_calls_as_usage_nears_the_limit_and_blocks_over_it() -> None:
    now = [100.0]
    pacer = Pacer(start_percent=75, max_gap_s=20, clock=lambda: now[0])
    pacer.observe("act_1", Usage(percent=50))
    assert pacer.delay_s("act_1") == 0
    pacer.observe("act_1", Usage(percent=87.5))
    assert pacer.delay_s("act_1") == pytest.approx(10)
    now[0] += 4
    assert pacer.delay_s("act_1") == pytest.approx(6)
    assert pacer.delay_s("act_2") == 0  # per account
    pacer.observe("act_1", Usage(percent=100, regain_minutes=1))
    assert pacer.delay_s("act_1") == pytest.approx(60)
    pacer.observe("act_1", Usage(percent=10), throttled=True)  # a throttle with no estimate: the longest gap
    assert pacer.delay_s("act_1") == pytest.approx(20)
