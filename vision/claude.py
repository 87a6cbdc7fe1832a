"""Claude Vision half of creative analysis: one Messages call with three frames, a forced tool answer."""

from __future__ import annotations

import base64
import email.utils
import time
from datetime import timedelta
from typing import Any

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import ImageBlockParam, TextBlockParam, ToolParam, ToolUseBlock
from pydantic import BaseModel, ValidationError

from domain.failures import Failure, InvalidInput
from models.schemas.analysis import CreativeInsights, Frame

PROMPT_VERSION = "v1"
TOOL_NAME = "record_analysis"
MAX_TOKENS = 1024
MAX_MALFORMED_ATTEMPTS = 3
MAX_RETRY_DELAY = timedelta(minutes=10)


class VisionUnavailable(Failure):
    """The API is overloaded, rate-limited, down or unreachable: retried, after its retry-after."""

    kind = "VisionUnavailable"
    retryable = True


class VisionRejected(Failure):
    """The API refused the request itself (400, 401, 403, 413): retrying sends the same refusal."""

    kind = "VisionRejected"


class MalformedAnswer(Failure):
    kind = "MalformedAnswer"
    retryable = True


VISION_UNAVAILABLE = VisionUnavailable.kind
VISION_REJECTED = VisionRejected.kind
MALFORMED_ANSWER = MalformedAnswer.kind

# the SDK's own retry set: timeouts, lock conflicts, rate limits and server-side failures (529 included)
RETRYABLE_STATUSES = frozenset({408, 409, 429})

PROMPT_TEMPLATE = (
    "Analyze this UGC video from {count} key frames ({moments}). "
    "Work out the hook type (e.g. question, problem-agitate, before-after, testimonial), "
    "the dominant emotion, the pacing (fast, medium or slow), the target audience's pain point, "
    "any on-screen text (verbatim), whether people and faces are present, whether there is a call "
    "to action and its kind (e.g. shop-now, link-in-bio, download), a one-paragraph summary, and "
    "your confidence from 0 to 1. Use 'unknown' where the frames do not show enough. "
    f"Answer only by calling the {TOOL_NAME} tool."
)


def _insights_schema() -> dict[str, Any]:
    """CreativeInsights' JSON schema without `measurements`, which only the local analyzer fills."""
    schema = CreativeInsights.model_json_schema()
    schema["properties"].pop("measurements", None)
    if "measurements" in schema.get("required", []):
        schema["required"].remove("measurements")
    return schema


INSIGHTS_TOOL: ToolParam = {
    "name": TOOL_NAME,
    "description": "Record the structured analysis of the UGC video's key frames.",
    "input_schema": _insights_schema(),
}


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


def parse_insights(tool_input: object, attempt: int) -> CreativeInsights:
    """The tool's input as CreativeInsights with empty measurements."""
    if not isinstance(tool_input, dict):
        raise malformed(f"tool input is {type(tool_input).__name__}, not an object", attempt)
    try:
        return CreativeInsights.model_validate({**tool_input, "measurements": {}})
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise malformed(f"tool input failed validation: {reason}", attempt) from None


class ClaudeVision:
    """Asks Claude about a creative's key frames; errors come out as classified `Failure`s."""

    def __init__(self, client: AsyncAnthropic, model: str) -> None:
        self.client = client
        self.model = model

    async def analyze(self, frames: list[tuple[Frame, bytes]], attempt: int = 1) -> ClaudeAnswer:
        """One Messages call; `attempt` is the activity's attempt number (bounds malformed retries)."""
        if not frames:
            raise InvalidInput("no frames to analyze")
        try:
            message = await self.client.messages.create(
                model=self.model,
                max_tokens=MAX_TOKENS,
                messages=[{"role": "user", "content": build_content(frames)}],
                tools=[INSIGHTS_TOOL],
                tool_choice={"type": "tool", "name": TOOL_NAME},
            )
        except anthropic.APIError as exc:
            # `from None`: the SDK error's text embeds the raw response body, kept out of workflow history
            raise map_anthropic_error(exc, self.client.api_key) from None
        tool_use = next((b for b in message.content if isinstance(b, ToolUseBlock) and b.name == TOOL_NAME), None)
        if tool_use is None:
            kinds = ", ".join(b.type for b in message.content) or "nothing"
            raise malformed(f"no {TOOL_NAME} tool_use block (got {kinds}, stop {message.stop_reason})", attempt)
        return ClaudeAnswer(
            insights=parse_insights(tool_use.input, attempt),
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            model=message.model,
        )
