"""Claude Vision half of creative analysis: one Messages call with three frames, a JSON-schema answer."""

from __future__ import annotations

import base64
import email.utils
import json
import time
from datetime import timedelta
from typing import Any, Literal

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import (
    ImageBlockParam,
    JSONOutputFormatParam,
    Message,
    OutputConfigParam,
    TextBlock,
    TextBlockParam,
)
from pydantic import BaseModel, ValidationError

from domain.failures import Failure, InvalidInput
from models.schemas.analysis import CreativeInsights, Frame

# v2: structured outputs (output_config.format) at a set effort instead of a forced tool call
PROMPT_VERSION = "v2"
# room for adaptive thinking, which counts against max_tokens, before the ~250-token JSON answer
MAX_TOKENS = 4096
MAX_MALFORMED_ATTEMPTS = 3
MAX_RETRY_DELAY = timedelta(minutes=10)

Effort = Literal["low", "medium", "high"]


class VisionUnavailable(Failure):
    """The API is overloaded, rate-limited, down or unreachable: retried, after its retry-after."""

    kind = "VisionUnavailable"
    retryable = True


class VisionRejected(Failure):
    """The API refused the request itself (400, 401, 403, 404, 413): retrying sends the same refusal."""

    kind = "VisionRejected"


class MalformedAnswer(Failure):
    kind = "MalformedAnswer"
    retryable = True


VISION_UNAVAILABLE = VisionUnavailable.kind
VISION_REJECTED = VisionRejected.kind
MALFORMED_ANSWER = MalformedAnswer.kind

# the SDK's own retry set: timeouts, lock conflicts, rate limits and server-side failures (529 included)
RETRYABLE_STATUSES = frozenset({408, 409, 429})
# an answer cut short is not a whole JSON object; retried as malformed
TRUNCATED_STOPS = frozenset({"max_tokens", "model_context_window_exceeded"})

PROMPT_TEMPLATE = (
    "Analyze this UGC video from {count} key frames ({moments}). "
    "Work out the hook type (e.g. question, problem-agitate, before-after, testimonial), "
    "the dominant emotion, the pacing (fast, medium or slow), the target audience's pain point, "
    "any on-screen text (verbatim), whether people and faces are present, whether there is a call "
    "to action and its kind (e.g. shop-now, link-in-bio, download), a one-paragraph summary, and "
    "your confidence from 0 to 1. Use 'unknown' (or null for yes/no fields) where the frames do not "
    "show enough. Answer with the JSON object only."
)


def _insights_schema() -> dict[str, Any]:
    """CreativeInsights' fields as a structured-output schema: no `measurements` (the local analyzer's),
    every field required (nullable ones may be null), objects closed and numeric/length limits moved
    into descriptions by the SDK; ranges are still checked when the answer is parsed."""
    schema = CreativeInsights.model_json_schema()
    schema["properties"].pop("measurements", None)
    for field in schema["properties"].values():
        field.pop("default", None)  # a default means nothing once every field is required
    schema["required"] = list(schema["properties"])
    return anthropic.transform_schema(schema)


INSIGHTS_SCHEMA: dict[str, Any] = _insights_schema()
OUTPUT_FORMAT: JSONOutputFormatParam = {"type": "json_schema", "schema": INSIGHTS_SCHEMA}


def output_config(effort: Effort | None) -> OutputConfigParam:
    """The JSON answer format, at `effort` (None: the model's default, for models without the effort knob)."""
    config: OutputConfigParam = {"format": OUTPUT_FORMAT}
    if effort is not None:
        config["effort"] = effort
    return config


LABEL_NAMES = {"hook": "Hook", "body": "Body", "cta": "CTA"}


def _name(frame: Frame) -> str:
    return LABEL_NAMES.get(frame.label, frame.label)


def _moment(frame: Frame) -> str:
    return f"{_name(frame)} at {frame.timestamp_s:.1f}s"


def build_prompt(frames: list[Frame]) -> str:
    """The prompt with the frames' real timestamps (a short video moves its CTA frame)."""
    return PROMPT_TEMPLATE.format(count=len(frames), moments=", ".join(_moment(f) for f in frames))


def build_content(frames: list[tuple[Frame, bytes]]) -> list[TextBlockParam | ImageBlockParam]:
    """Each frame as a labelled base64 JPEG block, then the prompt: one user message's content."""
    content: list[TextBlockParam | ImageBlockParam] = []
    for frame, jpeg in frames:
        content.append({"type": "text", "text": f"{_name(frame)} frame at {frame.timestamp_s:.1f} s"})
        data = base64.standard_b64encode(jpeg).decode("ascii")
        content.append({"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": data}})
    content.append({"type": "text", "text": build_prompt([frame for frame, _ in frames])})
    return content


class ClaudeAnswer(BaseModel):
    insights: CreativeInsights
    input_tokens: int
    output_tokens: int
    model: str


def make_anthropic_client(api_key: str, base_url: str | None, timeout_s: float) -> AsyncAnthropic:
    """A client without its own retries: Temporal's retry policy owns them."""
    return AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout_s)


def retry_delay(headers: Any) -> timedelta | None:
    """The server's requested wait from `retry-after` (seconds or an HTTP date), capped."""
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        seconds = email.utils.mktime_tz(parsed) - time.time()
    if seconds <= 0:
        return None
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "[redacted]") if secret else text


def map_anthropic_error(exc: anthropic.APIError, secret: str | None = None) -> Failure:
    """The classified failure for an SDK error; built from status and API fields, never the request."""
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        detail = f"Anthropic API {status} {exc.type or 'error'}: {exc.api_message or 'no message'}"
        if exc.request_id:
            detail += f" (request-id {exc.request_id})"
        detail = _redact(detail, secret)
        if status in RETRYABLE_STATUSES or status >= 500:
            return VisionUnavailable(detail, retry_after=retry_delay(exc.response.headers))
        return VisionRejected(detail)
    if isinstance(exc, anthropic.APIResponseValidationError):
        return MalformedAnswer(f"Anthropic answer did not parse: {exc.message}")
    # APITimeoutError, APIConnectionError: the request may not have reached the API at all
    return VisionUnavailable(_redact(f"Anthropic API unreachable: {type(exc).__name__}: {exc.message}", secret))


def malformed(reason: str, attempt: int) -> MalformedAnswer:
    """A bad answer is retried (a new sample may be fine) until MAX_MALFORMED_ATTEMPTS."""
    final = attempt >= MAX_MALFORMED_ATTEMPTS
    message = f"malformed answer on attempt {attempt}: {reason}"
    return MalformedAnswer(message, retryable=not final)


def parse_insights(answer: object, attempt: int) -> CreativeInsights:
    """The answer's JSON object as CreativeInsights with empty measurements; our ranges checked here."""
    if not isinstance(answer, dict):
        raise malformed(f"answer is {type(answer).__name__}, not an object", attempt)
    try:
        return CreativeInsights.model_validate({**answer, "measurements": {}})
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise malformed(f"answer failed validation: {reason}", attempt) from None


def answer_json(message: Message, attempt: int) -> object:
    """The decoded JSON of the answer's text, after any thinking blocks; refusals and cut answers are malformed."""
    stop = message.stop_reason
    if stop == "refusal":
        category = message.stop_details.category if message.stop_details else None
        raise malformed(f"the model refused (category {category or 'none'})", attempt)
    if stop in TRUNCATED_STOPS:
        raise malformed(f"answer cut short (stop {stop}, max_tokens {MAX_TOKENS})", attempt)
    texts = [block.text for block in message.content if isinstance(block, TextBlock)]
    if not texts:
        kinds = ", ".join(b.type for b in message.content) or "nothing"
        raise malformed(f"no text block (got {kinds}, stop {stop})", attempt)
    try:
        return json.loads("".join(texts))
    except ValueError as exc:
        raise malformed(f"answer is not JSON: {exc}", attempt) from None


class ClaudeVision:
    """Asks Claude about a creative's key frames; errors come out as classified `Failure`s."""

    def __init__(self, client: AsyncAnthropic, model: str, effort: Effort | None = "low") -> None:
        self.client = client
        self.model = model
        self.effort = effort

    async def analyze(self, frames: list[tuple[Frame, bytes]], attempt: int = 1) -> ClaudeAnswer:
        """One Messages call; `attempt` is the activity's attempt number (bounds malformed retries)."""
        if not frames:
            raise InvalidInput("no frames to analyze")
        try:
            # no tool_choice, sampling parameters, thinking config or prefill: current models refuse them
            message = await self.client.messages.create(
                model=self.model,
                max_tokens=MAX_TOKENS,
                messages=[{"role": "user", "content": build_content(frames)}],
                output_config=output_config(self.effort),
            )
        except anthropic.APIError as exc:
            # `from None`: the SDK error's text embeds the raw response body, kept out of workflow history
            raise map_anthropic_error(exc, self.client.api_key) from None
        return ClaudeAnswer(
            insights=parse_insights(answer_json(message, attempt), attempt),
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            model=message.model,
        )
