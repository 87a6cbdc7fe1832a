"""Both metrics ports scraped after real work: the worker's (the SDK's series and the domain counters) and
the API's (requests by route template and status, its domain counters)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client, WorkflowFailureError

from api.auth import issue_token
from api.main import create_app
from clients import connect_temporal
from devstack.process import free_port
from devstack.samples import make_test_video
from settings import Settings
from telemetry.metrics import DOMAIN_COUNTERS
from tests.conftest import bearer
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.namespaces import new_namespace
from worker import run_worker


def samples(text: str, name: str, **labels: str) -> list[float]:
    """Values of the series `name` whose labels include `labels`."""
    values = []
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(1) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            values.append(float(match.group(2)))
    return values


@pytest.fixture(scope="module")
async def observed(stack_settings: Settings) -> AsyncIterator[tuple[Settings, httpx.AsyncClient, Client]]:
    """A worker and an API in a namespace of their own, both with metrics ports, Claude faked."""
    with FakeAnthropic() as fake:
        settings = (await new_namespace(stack_settings, f"metrics-{uuid.uuid4().hex[:8]}")).model_copy(
            update={
                "worker_metrics_port": free_port(),
                "api_metrics_port": free_port(),
                "anthropic_api_key": SecretStr("test-key"),
                "anthropic_base_url": fake.base_url,
                "vision_backend": "anthropic",
                "url_fetch_allowed_hosts": ["127.0.0.1"],
            }
        )
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop))
        await asyncio.sleep(0.5)
        if worker.done():
            worker.result()
        app = create_app(settings)
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
                    yield settings, api, await connect_temporal(settings)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 30)


async def _scrape(port: int) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    return response.text


@dataclass
class Scraped:
    worker: str
    api: str
    fetched_bytes: int


@pytest.fixture(scope="module")
async def scraped(
    observed: tuple[Settings, httpx.AsyncClient, Client], admin_token: str, media_dir: Path, file_server: str
) -> Scraped:
    """Real work through the API and worker (a benchmark ingested and analyzed by Claude, one refused, an
    upload, a read), then both ports scraped."""
    settings, api, temporal = observed
    make_test_video(media_dir / "metrics.mp4", duration_s=4.0)
    body = {
        "creative_name": "measured",
        "product_category": "metrics",
        "source_platform": "tiktok",
        "market_cvr": 0.05,
        "market_longevity_days": 30,
        "avg_daily_clicks": 1000,
        "hook_type": "question",
        "emotion": "curiosity",
        "pacing": "fast",
        "target_audience_pain": "none",
        "video_url": f"{file_server}/metrics.mp4",
    }
    started = await api.post("/api/v1/benchmarks", headers=bearer(admin_token), json=body)
    assert started.status_code == 202, started.text
    creative_id = started.json()["creative_id"]
    await temporal.get_workflow_handle(started.json()["workflow_id"]).result()
    analysis = temporal.get_workflow_handle(f"creative-{creative_id}")
    for _ in range(300):  # the analysis runs on: until its status shows it done
        if (await analysis.query("status"))["analyses_done"]:
            break
        await asyncio.sleep(0.1)
    uploaded = await api.post(
        "/api/v1/creatives",
        headers=bearer(issue_token(settings, "uploader")),
        data={"creative_name": "upload", "product_category": "metrics", "tags": ""},
        files={"file": ("clip.mp4", (media_dir / "metrics.mp4").read_bytes(), "video/mp4")},
    )
    assert uploaded.status_code == 201, uploaded.text
    read = await api.get(f"/api/v1/creatives/{creative_id}", headers=bearer(issue_token(settings, "someone")))
    assert read.status_code == 200

    refused = await api.post(
        "/api/v1/benchmarks", headers=bearer(admin_token), json={**body, "video_url": f"{file_server}/missing.mp4"}
    )
    assert refused.status_code == 202
    with pytest.raises(WorkflowFailureError):
        await temporal.get_workflow_handle(refused.json()["workflow_id"]).result()
    assert started.headers["x-request-id"]
    return Scraped(
        worker=await _scrape(settings.worker_metrics_port),
        api=await _scrape(settings.api_metrics_port),
        fetched_bytes=(media_dir / "metrics.mp4").stat().st_size,
    )


def test_both_ports_show_the_sdk_http_and_domain_series(scraped: Scraped, stack_settings: Settings) -> None:
    worker, served = scraped.worker, scraped.api
    assert samples(worker, "temporal_worker_task_slots_available", task_queue="ugc-media")
    assert samples(worker, "temporal_activity_schedule_to_start_latency_bucket", task_queue="ugc-transfer")
    assert samples(worker, "temporal_activity_execution_latency_count", activity_type="fetch_video")
    assert samples(worker, "ugc_ingests_total", outcome="published", workflow_type="IngestBenchmarkWorkflow") == [1]
    assert samples(worker, "ugc_ingests_total", outcome="refused") == [1]
    assert samples(worker, "temporal_activity_execution_failed_total", activity_type="fetch_video")
    assert samples(worker, "ugc_analyses_total", backend="anthropic", outcome="succeeded") == [1]
    input_tokens = samples(worker, "ugc_claude_tokens_total", kind="input", activity_type="analyze_frames")
    output_tokens = samples(worker, "ugc_claude_tokens_total", kind="output")
    assert input_tokens and input_tokens[0] > 0 and output_tokens and output_tokens[0] > 0
    cost = samples(worker, "ugc_claude_cost_microdollars_total")
    prices = (stack_settings.claude_input_usd_per_mtok, stack_settings.claude_output_usd_per_mtok)
    assert prices == (2.0, 10.0)  # claude-sonnet-5-5's list prices, the defaults
    assert cost == [round(input_tokens[0] * prices[0] + output_tokens[0] * prices[1])]
    fetched = samples(worker, "ugc_bytes_moved_total", path="url_fetch")
    assert fetched == [float(scraped.fetched_bytes)]

    assert samples(served, "ugc_http_requests_total", method="POST", route="/api/v1/benchmarks", status="202")
    assert samples(served, "ugc_http_requests_total", route="/api/v1/creatives/{creative_id}", status="200")
    assert samples(served, "ugc_http_request_duration_seconds_bucket", route="/api/v1/benchmarks", le="+Inf")
    assert samples(served, "ugc_bytes_moved_total", path="api_upload")
    for counter in DOMAIN_COUNTERS:  # each listed, counted here or not
        assert f"# TYPE {counter.name}_total counter" in served


ALERTS = Path(__file__).resolve().parents[2] / "telemetry" / "alerts.yml"
PROMQL_WORDS = {
    "sum", "avg", "min", "max", "count", "by", "without", "rate", "increase", "irate", "histogram_quantile",
    "and", "or", "unless", "on", "ignoring", "bool", "clamp_min", "clamp_max", "abs", "time",
}  # fmt: skip
SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{([^}]*)\})?\s*\[\d+[smhd]\]")


def exposed_series(*scrapes: str) -> dict[str, set[str]]:
    """Every sample name in the scrapes with the label names it carries."""
    series: dict[str, set[str]] = {}
    for text in scrapes:
        for line in text.splitlines():
            match = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? ", line)
            if match:
                labels = set(re.findall(r'(\w+)="', match.group(2) or ""))
                series.setdefault(match.group(1), set()).update(labels)
    return series


def test_alert_rules_use_only_series_the_services_expose(scraped: Scraped) -> None:
    """promtool is not at hand: the rules file parses, each rule is complete, its parentheses balance, and
    every series, label matcher and `by` label it names is in what the two ports served after real work."""
    import yaml

    series = exposed_series(scraped.worker, scraped.api)
    rules = [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]
    wanted = {"ActivityScheduleToStartP99High", "ActivityFailureRateHigh", "AnalysesFailing", "ClaudeCostPerHourHigh"}
    assert wanted <= {rule["alert"] for rule in rules}
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"} and rule["annotations"]["summary"]
        assert re.fullmatch(r"\d+[smh]", rule["for"])
        expr = re.sub(r'"[^"]*"', '""', rule["expr"])
        assert expr.count("(") == expr.count(")"), rule["alert"]
        selectors = SELECTOR.findall(expr)
        assert selectors, rule["alert"]
        for name, matchers in selectors:
            assert name in series, f"{rule['alert']}: {name} is not exposed"
            for label in re.findall(r"(\w+)\s*=~?", matchers):
                assert label in series[name], f"{rule['alert']}: {name} has no label {label}"
        names = {name for name, _ in selectors}
        for group in re.findall(r"\bby\s*\(([^)]*)\)", expr):
            for label in (part.strip() for part in group.split(",")):
                assert any(label in series[name] for name in names), f"{rule['alert']}: no series has {label}"
        bare = re.sub(r"\{[^}]*\}|\[\d+[smhd]\]|\bby\s*\([^)]*\)|\d+(?:\.\d+)?(?:e\d+)?", " ", expr)
        for word in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare):
            assert word in PROMQL_WORDS or word in series, f"{rule['alert']}: unknown word {word}"
