"""One trace from an HTTP request through the workflow it starts to the workflow's activities (the session's
real worker and an API app, with spans kept in memory instead of sent to a collector)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api.auth import issue_token
from api.main import create_app
from models.tables import VideoAsset
from settings import Settings
from telemetry.tracing import tracing_active
from tests.conftest import bearer
from tests.support.clip_features import VERTICAL_12S

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (settable once): what configure_tracing installs, exporting to memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter
    exporter.clear()
    provider.shutdown()  # later tests' spans go nowhere


@pytest.fixture
async def traced_api(spans: InMemorySpanExporter, stack_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    assert tracing_active()
    app = create_app(stack_settings)  # instrumented, as with OTEL_EXPORTER_OTLP_ENDPOINT set
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


def _names(found: list[ReadableSpan]) -> set[str]:
    return {span.name for span in found}


async def test_a_request_its_workflow_and_activities_share_one_trace(
    traced_api: httpx.AsyncClient, spans: InMemorySpanExporter, stack_settings: Settings, db: Any
) -> None:
    owner = f"traced-{uuid.uuid4().hex[:8]}"
    token = issue_token(stack_settings, owner)
    asset_id = uuid.uuid4()
    async with db.begin() as session:
        session.add(VideoAsset(id=asset_id, owner_id=owner, name="a", product_category="traced", status="ready"))
    clips = [{"start_s": 0, "end_s": 12, "features": VERTICAL_12S}]
    registered = await traced_api.post(f"/api/v1/video-assets/{asset_id}/clips", headers=bearer(token), json=clips)
    assert registered.status_code == 201
    spans.clear()
    body = {"video_asset_id": str(asset_id), "platforms": ["tiktok"]}
    response = await traced_api.post("/campaigns/orchestrate", headers=bearer(token), json=body)
    assert response.status_code == 200, response.text

    wanted = {
        "StartWorkflow:OrchestrateCampaignsWorkflow",
        "RunWorkflow:OrchestrateCampaignsWorkflow",
        "StartActivity:score_platform",
        "RunActivity:score_platform",
        "RunActivity:create_draft_campaign",
    }
    in_trace: list[ReadableSpan] = []
    for _ in range(100):  # the last activity spans end as the workflow completes
        finished = list(spans.get_finished_spans())
        server = [s for s in finished if s.kind is trace.SpanKind.SERVER and "/campaigns/orchestrate" in s.name]
        if server:
            trace_id = server[0].context.trace_id
            in_trace = [s for s in finished if s.context.trace_id == trace_id]
            if wanted <= _names(in_trace):
                break
        await asyncio.sleep(0.05)
    assert wanted <= _names(in_trace), sorted(_names(in_trace))
    root = next(s for s in in_trace if s.kind is trace.SpanKind.SERVER and s.parent is None)
    assert root.attributes is not None and root.attributes.get("http.route") == "/campaigns/orchestrate"
    by_id = {s.context.span_id: s for s in in_trace}
    run_activity = next(s for s in in_trace if s.name == "RunActivity:score_platform")
    chain = []  # from the activity up to the request, parent by parent
    span: ReadableSpan | None = run_activity
    while span is not None:
        chain.append(span.name)
        span = by_id.get(span.parent.span_id) if span.parent is not None else None
    assert chain[0] == "RunActivity:score_platform" and chain[-1] == root.name
    assert "StartWorkflow:OrchestrateCampaignsWorkflow" in chain


EXPORT_SCRIPT = """
import sys
from opentelemetry import trace
from settings import Settings
from telemetry.tracing import configure_tracing, flush_traces, tracing_active

assert not configure_tracing(Settings(_env_file=None), "ugc-test") and not tracing_active()  # unset: nothing
assert configure_tracing(Settings(_env_file=None, otel_exporter_otlp_endpoint=sys.argv[1]), "ugc-test")
with trace.get_tracer("test").start_as_current_span("exported"):
    pass
flush_traces()
"""


def test_spans_go_to_the_otlp_endpoint_only_when_it_is_set(tmp_path: Any) -> None:
    """In a process of its own (a tracer provider is set once per process), against a local OTLP receiver."""
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[tuple[str, str, bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received.append((self.path, self.headers.get("content-type", ""), body))
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_port}"
        done = subprocess.run([sys.executable, "-c", EXPORT_SCRIPT, endpoint], capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
    finally:
        server.shutdown()
        server.server_close()
    assert [(path, kind) for path, kind, _ in received] == [("/v1/traces", "application/x-protobuf")]
    assert b"exported" in received[0][2] and b"ugc-test" in received[0][2]
