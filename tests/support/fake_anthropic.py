"""A local Anthropic Messages API (POST /v1/messages) for tests: scripted replies, recorded requests."""

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

TOOL_NAME = "record_analysis"

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
    body: dict[str, Any] | str | bytes | None = None  # None: the default tool_use reply
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def _request_id() -> str:
    return f"req_{uuid.uuid4().hex[:24]}"


def tool_use_reply(
    insights: dict[str, Any],
    input_tokens: int = 1500,
    output_tokens: int = 220,
    model: str = "claude-test",
) -> dict[str, Any]:
    """A Messages API answer whose only block calls the analysis tool with `insights`."""
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}", "name": TOOL_NAME, "input": insights}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def error_body(type: str, message: str) -> dict[str, Any]:
    """The API's error envelope, e.g. {"type": "error", "error": {"type": "overloaded_error", ...}}."""
    return {"type": "error", "error": {"type": type, "message": message}, "request_id": _request_id()}


def error_reply(status: int, type: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An error answer with the API's status and body shape."""
    return Reply(status=status, body=error_body(type, message), headers=dict(headers or {}))


def default_insights() -> dict[str, Any]:
    return DEFAULT_INSIGHTS.model_dump(exclude={"measurements"})


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
        reply = fake.record(body, {k.lower(): v for k, v in self.headers.items()})
        if reply.delay_s and fake.closing.wait(reply.delay_s):
            return  # the server is shutting down: drop the slow answer
        if reply.body is None:
            reply = replace(reply, body=tool_use_reply(default_insights(), model=body.get("model", "")))
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
        """Answer the next requests with these, in order; then the default tool_use reply."""
        with self._lock:
            self._replies.extend(replies)

    def record(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        """Keep the request and take the next scripted reply."""
        with self._lock:
            self.requests.append(body)
            self.request_headers.append(headers)
            return self._replies.popleft() if self._replies else Reply()

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
