"""A local Anthropic Messages API (POST /v1/messages) for tests: scripted replies, recorded requests, and
the request checks of current models (claude-sonnet-5-5): forced tool_choice, sampling parameters, thinking
budgets or disabled thinking, assistant prefill and non-strict output schemas get the API's 400."""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from models.schemas.analysis import CreativeInsights

# models past end-of-life: the API answers 404 not_found_error for them
RETIRED_MODELS = frozenset({"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-3-7-sonnet-latest"})
EFFORTS = frozenset({"low", "medium", "high", "xhigh", "max"})
# JSON outputs take no numeric or length limits in a schema
UNSUPPORTED_SCHEMA_KEYS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
     "maxItems", "minProperties", "maxProperties"}
)  # fmt: skip

DEFAULT_INSIGHTS = CreativeInsights(
    hook_type="question",
    emotion="curiosity",
    pacing="fast",
    target_audience_pain="dry skin that stays dry after moisturising",
    on_screen_text=["Still dry?", "Shop now"],
    people_present=True,
    face_present=True,
    cta_present=True,
    cta_kind="shop-now",
    summary="A creator asks a question about dry skin, shows the cream, and ends on a shop-now card.",
    confidence=0.82,
)


@dataclass
class Reply:
    """One scripted answer; a dict body is sent as JSON, str/bytes as is."""

    status: int = 200
    body: dict[str, Any] | str | bytes | None = None  # None: the default JSON answer (after a thinking block)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def _request_id() -> str:
    return f"req_{uuid.uuid4().hex[:24]}"


def message_reply(
    content: list[dict[str, Any]],
    stop_reason: str = "end_turn",
    input_tokens: int = 1500,
    output_tokens: int = 220,
    model: str = "claude-test",
    stop_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Messages API answer with these content blocks."""
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "stop_details": stop_details,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def thinking_block(text: str = "Three frames: a question hook, the product, a shop-now card.") -> dict[str, Any]:
    """An adaptive-thinking block, which comes before the answer's text."""
    return {"type": "thinking", "thinking": text, "signature": uuid.uuid4().hex}


def json_reply(
    answer: object,
    thinking: bool = True,
    input_tokens: int = 1500,
    output_tokens: int = 220,
    model: str = "claude-test",
) -> dict[str, Any]:
    """A structured-output answer: one text block holding `answer` as JSON (a str as is), maybe after thinking."""
    text = answer if isinstance(answer, str) else json.dumps(answer)
    content = [thinking_block()] if thinking else []
    content.append({"type": "text", "text": text})
    return message_reply(content, input_tokens=input_tokens, output_tokens=output_tokens, model=model)


def refusal_reply(category: str | None = "general_harms") -> dict[str, Any]:
    """The model declined: stop_reason refusal, no answer text."""
    return message_reply([], stop_reason="refusal", stop_details={"type": "refusal", "category": category})


def error_body(type: str, message: str) -> dict[str, Any]:
    """The API's error envelope, e.g. {"type": "error", "error": {"type": "overloaded_error", ...}}."""
    return {"type": "error", "error": {"type": type, "message": message}, "request_id": _request_id()}


def error_reply(status: int, type: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An error answer with the API's status and body shape."""
    return Reply(status=status, body=error_body(type, message), headers=dict(headers or {}))


def default_insights() -> dict[str, Any]:
    return DEFAULT_INSIGHTS.model_dump(exclude={"measurements"})


def schema_problem(schema: object, path: str = "schema") -> str | None:
    """What JSON outputs refuse in a schema: open objects, numeric and length limits, minItems above 1."""
    if isinstance(schema, list):
        return next((p for i, s in enumerate(schema) if (p := schema_problem(s, f"{path}.{i}"))), None)
    if not isinstance(schema, dict):
        return None
    if unsupported := sorted(UNSUPPORTED_SCHEMA_KEYS & schema.keys()):
        return f"{path}: '{unsupported[0]}' is not supported in output_config.format schemas"
    if schema.get("minItems", 0) not in (0, 1):
        return f"{path}: minItems above 1 is not supported"
    if (schema.get("type") == "object" or "properties" in schema) and schema.get("additionalProperties") is not False:
        return f"{path}: objects must set additionalProperties to false"
    for key in ("properties", "$defs"):
        for name, sub in (schema.get(key) or {}).items():
            if problem := schema_problem(sub, f"{path}.{key}.{name}"):
                return problem
    for key in ("items", "anyOf", "allOf", "oneOf"):
        if problem := schema_problem(schema.get(key), f"{path}.{key}"):
            return problem
    return None


def request_problem(body: dict[str, Any]) -> Reply | None:
    """The error the API gives this request on current models (Sonnet 5.5's rules), or None."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return error_reply(400, "invalid_request_error", "model: Field required")
    if model in RETIRED_MODELS:
        return error_reply(404, "not_found_error", f"model: {model}")
    if not isinstance(body.get("max_tokens"), int):
        return error_reply(400, "invalid_request_error", "max_tokens: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return error_reply(400, "invalid_request_error", "messages: at least one message is required")
    problem = _parameter_problem(body)
    return error_reply(400, "invalid_request_error", problem) if problem else None


def _parameter_problem(body: dict[str, Any]) -> str | None:
    """The 400 message for a parameter current models refuse, or None."""
    for name in ("temperature", "top_p", "top_k"):
        if name in body:
            return f"{name}: sampling parameters are not supported on {body['model']}"
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "disabled":
        return "thinking.type: 'disabled' is not supported on this model; thinking is adaptive"
    if isinstance(thinking, dict) and (thinking.get("type") == "enabled" or "budget_tokens" in thinking):
        return "thinking.budget_tokens: thinking budgets are not supported; use output_config.effort"
    tool_choice = body.get("tool_choice")
    if isinstance(tool_choice, dict) and tool_choice.get("type") in ("tool", "any"):
        return f"tool_choice.type: '{tool_choice['type']}' (forced tool use) is not supported on this model"
    if body["messages"][-1].get("role") == "assistant":
        return "messages: assistant message prefill is not supported on this model"
    config = body.get("output_config") or {}
    if "effort" in config and config["effort"] not in EFFORTS:
        return f"output_config.effort: must be one of {', '.join(sorted(EFFORTS))}"
    answer_format = config.get("format")
    if answer_format is not None:
        if not isinstance(answer_format, dict) or answer_format.get("type") != "json_schema":
            return "output_config.format.type: must be 'json_schema'"
        if not isinstance(answer_format.get("schema"), dict):
            return "output_config.format.schema: Field required"
        return schema_problem(answer_format["schema"], "output_config.format.schema")
    return None


def default_reply(body: dict[str, Any]) -> dict[str, Any]:
    """A JSON answer when the request asked for one (after a thinking block, as adaptive thinking does), else prose."""
    model = body.get("model", "")
    if (body.get("output_config") or {}).get("format"):
        return json_reply(default_insights(), model=model)
    return message_reply([{"type": "text", "text": DEFAULT_INSIGHTS.summary}], model=model)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAnthropic


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.split("?")[0] != "/v1/messages":
            self._send(error_reply(404, "not_found_error", f"Not found: {self.path}"))
            return
        if not (self.headers.get("x-api-key") or self.headers.get("authorization")):
            self._send(error_reply(401, "authentication_error", "x-api-key header is required"))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(error_reply(400, "invalid_request_error", "request body is not valid JSON"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        refused = (
            request_problem(body)
            if isinstance(body, dict)
            else error_reply(400, "invalid_request_error", "body: must be an object")
        )
        # a refused request is recorded but takes no scripted reply: those are for requests the API accepts
        reply = fake.record(body, headers, take=refused is None)
        if refused is not None:
            self._send(refused)
            return
        if reply.delay_s and fake.closing.wait(reply.delay_s):
            return  # the server is shutting down: drop the slow answer
        if reply.body is None:
            reply = replace(reply, body=default_reply(body))
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        payload = reply.body
        if isinstance(payload, dict):
            data = json.dumps(payload).encode()
        else:
            data = payload.encode() if isinstance(payload, str) else payload or b""
        headers = {"content-type": "application/json", "request-id": _request_id(), **reply.headers}
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


class FakeAnthropic:
    """Serves the Messages API on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.request_headers: list[dict[str, str]] = []
        self.closing = threading.Event()
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # a short poll interval: shutdown() waits up to one interval, once per test
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next accepted requests with these, in order; then the default reply."""
        with self._lock:
            self._replies.extend(replies)

    def record(self, body: dict[str, Any], headers: dict[str, str], take: bool = True) -> Reply:
        """Keep the request and, if `take`, the next scripted reply."""
        with self._lock:
            self.requests.append(body)
            self.request_headers.append(headers)
            return self._replies.popleft() if take and self._replies else Reply()

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
