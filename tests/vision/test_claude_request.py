"""The Messages request ClaudeVision sends (structured output at a set effort), and the fake API refusing
what claude-sonnet-5-5 refuses, so a forced tool call like the one v1 sent cannot pass these tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import pytest
from anthropic import AsyncAnthropic
from anthropic._data import DEPRECATED_MODELS
from anthropic.types import MessageParam, ToolParam

from domain.failures import Failure
from models.schemas.analysis import CreativeInsights
from settings import Settings
from tests.support.fake_anthropic import FakeAnthropic, error_reply
from tests.vision.test_claude import API_KEY, FRAMES, MODEL
from vision.claude import (
    MAX_TOKENS,
    OUTPUT_FORMAT,
    PROMPT_VERSION,
    VISION_REJECTED,
    ClaudeVision,
    Effort,
    build_content,
    make_anthropic_client,
    map_anthropic_error,
)

# the v1 request's answer mechanism: a tool, forced
V1_TOOL: ToolParam = {"name": "record_analysis", "description": "Record it.", "input_schema": {"type": "object"}}
LIMITS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength")


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
async def client(fake: FakeAnthropic) -> AsyncIterator[AsyncAnthropic]:
    async with make_anthropic_client(API_KEY, fake.base_url, timeout_s=5) as sdk:
        yield sdk


def _objects(schema: Any) -> Iterator[dict[str, Any]]:
    """Every sub-schema of `schema`."""
    if isinstance(schema, list):
        for item in schema:
            yield from _objects(item)
    elif isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _objects(value)


async def test_request_asks_for_a_json_schema_answer_at_low_effort(fake: FakeAnthropic, client: AsyncAnthropic) -> None:
    await ClaudeVision(client, MODEL).analyze(FRAMES)
    [request] = fake.requests
    # no tools, tool_choice, sampling parameters, thinking config, system prompt or prefill
    assert set(request) == {"model", "max_tokens", "messages", "output_config"}
    assert [message["role"] for message in request["messages"]] == ["user"]
    assert request["output_config"] == {"effort": "low", "format": OUTPUT_FORMAT}
    assert PROMPT_VERSION == "v2"  # part of the stored-analysis reuse key: v1 answers are not reused

    answer_format = request["output_config"]["format"]
    assert answer_format["type"] == "json_schema"
    schema = answer_format["schema"]
    fields = set(CreativeInsights.model_fields) - {"measurements"}
    assert set(schema["properties"]) == fields and set(schema["required"]) == fields
    for sub in _objects(schema):
        assert not set(LIMITS) & sub.keys(), sub
        if sub.get("type") == "object":
            assert sub["additionalProperties"] is False
    assert schema["properties"]["pacing"]["enum"] == ["fast", "medium", "slow", "unknown"]
    assert {"type": "null"} in schema["properties"]["people_present"]["anyOf"]


@pytest.mark.parametrize(("effort", "sent"), [("medium", {"effort": "medium"}), (None, {})])
async def test_effort_is_a_setting(
    fake: FakeAnthropic, client: AsyncAnthropic, effort: Effort | None, sent: dict[str, str]
) -> None:
    await ClaudeVision(client, MODEL, effort).analyze(FRAMES)
    assert fake.requests[0]["output_config"] == {**sent, "format": OUTPUT_FORMAT}


USER: list[MessageParam] = [{"role": "user", "content": "Analyze."}]
PREFILL: list[MessageParam] = [*USER, {"role": "assistant", "content": "{"}]
OPEN_SCHEMA = {"type": "json_schema", "schema": CreativeInsights.model_json_schema()}  # pydantic's, unchanged
CLOSED = {"type": "object", "additionalProperties": False, "required": ["confidence"]}
RANGED_SCHEMA = {
    "type": "json_schema",
    "schema": {**CLOSED, "properties": {"confidence": {"type": "number", "minimum": 0}}},
}


@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        ({"tools": [V1_TOOL], "tool_choice": {"type": "tool", "name": "record_analysis"}}, "tool_choice.type"),
        ({"tools": [V1_TOOL], "tool_choice": {"type": "any"}}, "tool_choice.type"),
        # newer SDKs dropped the sampling arguments: sent as extra body fields, as an older caller would
        ({"extra_body": {"temperature": 0.0}}, "temperature"),
        ({"extra_body": {"top_p": 0.9}}, "top_p"),
        ({"extra_body": {"top_k": 5}}, "top_k"),
        ({"thinking": {"type": "disabled"}}, "thinking.type"),
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, "thinking.budget_tokens"),
        ({"messages": PREFILL}, "prefill"),
        ({"output_config": {"format": OPEN_SCHEMA}}, "additionalProperties to false"),
        ({"output_config": {"format": RANGED_SCHEMA}}, "'minimum' is not supported"),
        ({"output_config": {"effort": "none"}}, "output_config.effort"),
    ],
    ids=["forced-tool", "any-tool", "temperature", "top_p", "top_k", "no-thinking", "budget", "prefill",
         "open-schema", "schema-limits", "effort"],
)  # fmt: skip
async def test_the_fake_refuses_what_current_models_refuse(
    fake: FakeAnthropic, client: AsyncAnthropic, extra: dict[str, Any], refused: str
) -> None:
    # a scripted reply is for an accepted request: the refused one must not take it
    fake.enqueue(error_reply(529, "overloaded_error", "busy"))
    arguments: dict[str, Any] = {"model": MODEL, "max_tokens": MAX_TOKENS, "messages": USER, **extra}
    with pytest.raises(anthropic.BadRequestError) as caught:
        await client.messages.create(**arguments)
    assert caught.value.type == "invalid_request_error"
    assert refused in (caught.value.api_message or "")
    failure = map_anthropic_error(caught.value, API_KEY)
    assert failure.kind == VISION_REJECTED and not failure.retryable
    with pytest.raises(anthropic.InternalServerError):  # the scripted 529, for the next accepted request
        await client.messages.create(model=MODEL, max_tokens=MAX_TOKENS, messages=USER)
    assert len(fake.requests) == 2


async def test_the_v1_request_is_refused_and_the_v2_one_answered(fake: FakeAnthropic, client: AsyncAnthropic) -> None:
    with pytest.raises(anthropic.BadRequestError):
        await client.messages.create(
            model=MODEL,
            max_tokens=1024,
            messages=[{"role": "user", "content": build_content(FRAMES)}],
            tools=[V1_TOOL],
            tool_choice={"type": "tool", "name": "record_analysis"},
        )
    answer = await ClaudeVision(client, MODEL).analyze(FRAMES)
    assert answer.insights.hook_type == "question"
    assert "tool_choice" in fake.requests[0] and "tool_choice" not in fake.requests[1]


async def test_a_retired_model_is_rejected_for_good(client: AsyncAnthropic) -> None:
    with pytest.raises(Failure) as caught:
        await ClaudeVision(client, "claude-sonnet-4-5").analyze(FRAMES)
    assert caught.value.kind == VISION_REJECTED and not caught.value.retryable
    assert "404" in str(caught.value)


def test_defaults_name_a_current_model_and_its_prices() -> None:
    fields = Settings.model_fields
    assert fields["claude_model"].default == "claude-sonnet-5-5"
    # the SDK lists models nearing end-of-life: the default must not be one of them
    assert fields["claude_model"].default not in DEPRECATED_MODELS
    assert (fields["claude_input_usd_per_mtok"].default, fields["claude_output_usd_per_mtok"].default) == (2.0, 10.0)
    assert fields["claude_effort"].default == "low"
