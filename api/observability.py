"""Per request: an id (X-Request-ID, kept from the caller when sane), the route template for logs, and the
request count and latency by route and status; plus the API's Prometheus listener (API_METRICS_PORT)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import prometheus_client
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settings import Settings
from telemetry.logs import REQUEST_ID, REQUEST_SCOPE
from telemetry.metrics import HTTP_LATENCY, HTTP_REQUESTS

REQUEST_ID_HEADER = "x-request-id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # a caller's id is echoed in logs: no spaces, no newlines
UNMATCHED = "unmatched"  # every path no route knows counts as one series, not one per path


def route_of(scope: Scope) -> str:
    """The path template the router chose (/api/v1/creatives/{creative_id}), or `unmatched` (404s, static files)."""
    return getattr(scope.get("route"), "path", None) or UNMATCHED


class RequestContext:
    """ASGI middleware: request id and route into the log context, X-Request-ID on the answer, metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        method = scope["method"]
        status = 500  # what the caller gets if the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        # the router writes its choice into this scope: log lines read the route from it once it is known
        tokens = REQUEST_ID.set(request_id), REQUEST_SCOPE.set(scope)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(tokens[0])
            REQUEST_SCOPE.reset(tokens[1])
            route = route_of(scope)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)


@contextmanager
def metrics_listener(settings: Settings) -> Iterator[int | None]:
    """Serve prometheus-client's registry on API_METRICS_PORT (0: none) while the app runs; the port."""
    if not settings.api_metrics_port:
        yield None
        return
    server, thread = prometheus_client.start_http_server(settings.api_metrics_port, addr=settings.metrics_host)
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
