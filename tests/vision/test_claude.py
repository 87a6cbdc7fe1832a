"""ClaudeVision against a local Messages API through the real SDK: answers, and every error class."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import io
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from PIL import Image
from temporalio.exceptions import ApplicationError

from activities.errors import application_error
from domain.failures import Failure
from models.schemas.analysis import Frame, FrameLabel
from tests.support.fake_anthropic import (
    FakeAnthropic,
    Reply,
    default_insights,
    error_reply,
    json_reply,
    message_reply,
    refusal_reply,
    thinking_block,
)
from vision.claude import (
    MALFORMED_ANSWER,
    MAX_MALFORMED_ATTEMPTS,
    MAX_TOKENS,
    VISION_REJECTED,
    VISION_UNAVAILABLE,
    ClaudeVision,
    make_anthropic_client,
    retry_delay,
)

API_KEY = "test-key"
MODEL = "claude-test-vision"


def _jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def _frame(label: FrameLabel, requested_s: float, timestamp_s: float, data: bytes) -> tuple[Frame, bytes]:
    frame = Frame(
        label=label,
        key=f"r2://frames/frames/c/a/{label}.jpg",
        requested_s=requested_s,
        timestamp_s=timestamp_s,
        width=48,
        height=32,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return frame, data


# a short video: the CTA frame moved from 10 s to 7.5 s
FRAMES = [
    _frame("hook", 0.0, 0.0, _jpeg((200, 30, 30))),
    _frame("body", 3.0, 3.0, _jpeg((30, 200, 30))),
    _frame("cta", 10.0, 7.5, _jpeg((30, 30, 200))),
]


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
async def vision(fake: FakeAnthropic) -> AsyncIterator[ClaudeVision]:
    async with make_anthropic_client(API_KEY, fake.base_url, timeout_s=5) as client:
        yield ClaudeVision(client, MODEL)


async def _failure(vision: ClaudeVision, attempt: int = 1) -> ApplicationError:
    """The failure as the activity hands it to Temporal."""
    with pytest.raises(Failure) as caught:
        await vision.analyze(FRAMES, attempt=attempt)
    return application_error(caught.value)


async def test_answer_is_parsed_after_thinking_and_request_is_shaped(fake: FakeAnthropic, vision: ClaudeVision) -> None:
    fake.enqueue(Reply(body=json_reply(default_insights(), input_tokens=1234, output_tokens=56, model=MODEL)))
    answer = await vision.analyze(FRAMES, attempt=1)
    assert answer.insights.hook_type == "question"
    assert answer.insights.pacing == "fast"
    assert answer.insights.measurements == {}
    assert (answer.input_tokens, answer.output_tokens, answer.model) == (1234, 56, MODEL)

    [request] = fake.requests
    assert request["model"] == MODEL
    assert request["max_tokens"] == MAX_TOKENS
    # the request shape is pinned in tests/vision/test_claude_request.py; here, the frames and the prompt
    [message] = request["messages"]
    assert message["role"] == "user"
    content = message["content"]
    assert [block["type"] for block in content] == ["text", "image"] * 3 + ["text"]
    assert [block["text"] for block in content[0:6:2]] == [
        "Hook frame at 0.0 s",
        "Body frame at 3.0 s",
        "CTA frame at 7.5 s",
    ]
    for block, (_, data) in zip(content[1:6:2], FRAMES, strict=True):
        assert block["source"]["type"] == "base64"
        assert block["source"]["media_type"] == "image/jpeg"
        assert base64.b64decode(block["source"]["data"]) == data
    prompt = content[-1]["text"]
    assert prompt.startswith("Analyze this UGC video from 3 key frames (Hook at 0.0s, Body at 3.0s, CTA at 7.5s)")
    assert "tool" not in prompt
    headers = fake.request_headers[0]
    # SDK versions differ: x-api-key, or Authorization: Bearer
    assert API_KEY in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))
    assert "anthropic-version" in headers


async def test_redacted_thinking_and_the_fakes_default_answer(fake: FakeAnthropic, vision: ClaudeVision) -> None:
    redacted = {"type": "redacted_thinking", "data": "opaque"}
    text = {"type": "text", "text": json.dumps({**default_insights(), "pacing": "slow"})}
    fake.enqueue(Reply(body=message_reply([thinking_block(), redacted, text], model=MODEL)))
    assert (await vision.analyze(FRAMES)).insights.pacing == "slow"
    answer = await vision.analyze(FRAMES)  # the fake's own reply: a thinking block, then the JSON
    assert answer.insights.model_dump(exclude={"measurements"}) == default_insights()


async def test_rate_limit_is_retryable_after_the_servers_delay(fake: FakeAnthropic, vision: ClaudeVision) -> None:
    fake.enqueue(error_reply(429, "rate_limit_error", "Number of requests exceeded", {"retry-after": "7"}))
    failure = await _failure(vision)
    assert failure.type == VISION_UNAVAILABLE
    assert not failure.non_retryable
    assert failure.next_retry_delay == timedelta(seconds=7)
    assert "429" in failure.message


async def test_retry_after_is_capped(fake: FakeAnthropic, vision: ClaudeVision) -> None:
    fake.enqueue(error_reply(429, "rate_limit_error", "slow down", {"retry-after": "86400"}))
    failure = await _failure(vision)
    assert failure.next_retry_delay == timedelta(minutes=10)


@pytest.mark.parametrize(("status", "kind"), [(529, "overloaded_error"), (500, "api_error"), (503, "api_error")])
async def test_server_errors_are_retryable(fake: FakeAnthropic, vision: ClaudeVision, status: int, kind: str) -> None:
    fake.enqueue(error_reply(status, kind, "try again later"))
    failure = await _failure(vision)
    assert failure.type == VISION_UNAVAILABLE
    assert not failure.non_retryable
    assert failure.next_retry_delay is None
    assert str(status) in failure.message


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
    ],
)
async def test_client_errors_are_final_and_hide_the_key(
    fake: FakeAnthropic, vision: ClaudeVision, status: int, kind: str
) -> None:
    # an API that echoes the key must still not put it in workflow history
    fake.enqueue(error_reply(status, kind, f"rejected x-api-key {API_KEY}"))
    failure = await _failure(vision)
    assert failure.type == VISION_REJECTED
    assert failure.non_retryable
    assert str(status) in failure.message
    assert API_KEY not in failure.message
    assert failure.__cause__ is None


@pytest.mark.parametrize(
    "body",
    [
        message_reply([thinking_block()]),
        json_reply("I think it is a question hook."),
        json_reply(["question"]),
        json_reply({**default_insights(), "pacing": "warp speed"}),
        json_reply({**default_insights(), "confidence": 1.5}),  # the schema carries no range: ours checks it
        refusal_reply(),
        message_reply([{"type": "text", "text": '{"hook_type": "quest'}], stop_reason="max_tokens"),
    ],
    ids=["only-thinking", "not-json", "not-an-object", "invalid-value", "out-of-range", "refusal", "max-tokens"],
)
async def test_malformed_answer_is_retried_until_the_last_attempt(
    fake: FakeAnthropic, vision: ClaudeVision, body: dict[str, object]
) -> None:
    fake.enqueue(Reply(body=body), Reply(body=body))
    first = await _failure(vision, attempt=1)
    assert first.type == MALFORMED_ANSWER
    assert not first.non_retryable
    last = await _failure(vision, attempt=MAX_MALFORMED_ATTEMPTS)
    assert last.type == MALFORMED_ANSWER
    assert last.non_retryable
    assert "attempt 3" in last.message


async def test_refusal_and_cut_answers_say_why(fake: FakeAnthropic, vision: ClaudeVision) -> None:
    fake.enqueue(Reply(body=refusal_reply("cyber")))
    assert "refused (category cyber)" in (await _failure(vision)).message
    fake.enqueue(Reply(body=message_reply([], stop_reason="max_tokens")))
    assert f"stop max_tokens, max_tokens {MAX_TOKENS}" in (await _failure(vision)).message


async def test_non_json_answer_is_not_a_crash(fake: FakeAnthropic, vision: ClaudeVision) -> None:
    fake.enqueue(Reply(status=502, body=b"<html>bad gateway</html>", headers={"content-type": "text/html"}))
    failure = await _failure(vision)
    assert failure.type == VISION_UNAVAILABLE
    assert not failure.non_retryable


async def test_slow_answer_times_out_retryably(fake: FakeAnthropic) -> None:
    fake.enqueue(Reply(delay_s=3.0))
    async with make_anthropic_client(API_KEY, fake.base_url, timeout_s=0.3) as client:
        failure = await _failure(ClaudeVision(client, MODEL))
    assert failure.type == VISION_UNAVAILABLE
    assert not failure.non_retryable
    assert "Timeout" in failure.message


async def test_unreachable_api_is_retryable() -> None:
    with FakeAnthropic() as server:
        base_url = server.base_url  # closed on exit: nothing listens there any more
    async with make_anthropic_client(API_KEY, base_url, timeout_s=2) as client:
        failure = await _failure(ClaudeVision(client, MODEL))
    assert failure.type == VISION_UNAVAILABLE
    assert not failure.non_retryable


def test_retry_after_accepts_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    delay = retry_delay({"retry-after": when})
    assert delay is not None
    assert timedelta(seconds=25) <= delay <= timedelta(seconds=31)
    assert retry_delay({"retry-after": "soon"}) is None
    assert retry_delay({}) is None
