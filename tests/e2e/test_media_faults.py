"""A benchmark ingest that meets a storage outage mid-probe completes once storage is back: the real API and
worker, whose S3 (and so every presigned URL FFmpeg reads) sits behind a proxy that answers 503 for a while,
as S3 does right after a restart. Its own Temporal namespace keeps the session's worker off these tasks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from api.auth import issue_token
from api.main import create_app
from clients import connect_temporal
from devstack.samples import make_test_video
from settings import Settings
from tests.conftest import bearer
from tests.media.fault_proxy import Faults, fault_server
from tests.support.namespaces import new_namespace
from worker import run_worker


@pytest.fixture
async def faulty(stack_settings: Settings) -> AsyncIterator[tuple[Settings, Faults]]:
    """Settings for a worker and API in a namespace of their own, reaching S3 only through the proxy."""
    namespace = f"media-faults-{uuid.uuid4().hex[:8]}"
    await new_namespace(stack_settings, namespace)  # with the search attributes the API sets
    with fault_server(upstream=stack_settings.r2_endpoint_url) as (proxy, faults):
        settings = stack_settings.model_copy(
            update={"temporal_namespace": namespace, "r2_endpoint_url": proxy, "url_fetch_allowed_hosts": ["127.0.0.1"]}
        )
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop))
        await asyncio.sleep(0.5)
        if worker.done():
            worker.result()
        try:
            yield settings, faults
        finally:
            stop.set()
            await asyncio.wait_for(worker, 30)


async def test_a_benchmark_ingest_completes_after_a_storage_outage_mid_probe(
    faulty: tuple[Settings, Faults], media_dir: Path, file_server: str
) -> None:
    settings, faults = faulty
    # the index at the end: the probe's first read answers, its seek to the index meets the outage
    make_test_video(media_dir / "outage.mp4", duration_s=4.0, width=640, height=360, faststart=False)
    app = create_app(settings)
    fields: dict[str, Any] = {
        "video_url": f"{file_server}/outage.mp4", "creative_name": "Outage serum", "product_category": "outages",
        "source_platform": "tiktok", "market_cvr": 0.05, "market_longevity_days": 30, "avg_daily_clicks": 1000,
        "hook_type": "question", "emotion": "curiosity", "pacing": "fast", "target_audience_pain": "dull skin",
    }  # fmt: skip
    faults.fail(2, skip=1, ffmpeg_only=True)  # attempt 1 fails mid-probe, attempt 2 at open, attempt 3 works
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
            token = issue_token(settings, "admin-outage", admin=True)
            started = await api.post("/api/v1/benchmarks", headers=bearer(token), json=fields)
            assert started.status_code == 202, started.text
    client: Client = await connect_temporal(settings)
    handle = client.get_workflow_handle(started.json()["workflow_id"])
    result = await asyncio.wait_for(handle.result(), 120)
    assert result["video_key"].endswith(".mp4") and result["bayesian_alpha"] > 0
    assert faults.ffmpeg_answers()[:3] == [206, 503, 503]
    attempts = [
        event.activity_task_started_event_attributes.attempt
        async for event in handle.fetch_history_events()
        if event.HasField("activity_task_started_event_attributes")
    ]
    assert max(attempts) == 3  # the probe: retried by Temporal, not refused as InvalidVideo
