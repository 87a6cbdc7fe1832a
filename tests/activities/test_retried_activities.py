"""Activities run at least once: running each twice must leave the state of one run."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from activities.media import MediaActivities
from activities.records import RecordsActivities
from activities.registry import download_client
from activities.storage import StorageActivities
from devstack.samples import make_test_video
from models.db import make_engine, make_sessionmaker
from models.schemas.benchmarks import BenchmarkFields, UpsertBenchmarkInput
from models.schemas.media import FetchVideoInput, ProbeVideoInput, PublishObjectInput, StoredObject
from models.tables import Creative, PatternPerformance
from settings import Settings


@pytest.fixture(scope="module")
def clip(media_dir: Path) -> Path:
    return make_test_video(media_dir / "retry.mp4", duration_s=3.0)


async def test_fetch_probe_publish_upsert_twice(
    stack_settings: Settings, s3: Any, file_server: str, clip: Path
) -> None:
    env = ActivityEnvironment()
    creative_id = uuid.uuid4()
    staging = f"r2://client-assets/staging/benchmarks/{creative_id}"
    final = f"r2://market-benchmarks/benchmarks/{creative_id}.mp4"
    engine = make_engine(stack_settings.database_url or "", pool_size=1)
    sessionmaker = make_sessionmaker(engine)
    async with download_client(stack_settings) as http:
        storage = StorageActivities(
            s3, http, stack_settings.multipart_chunk_bytes, allowed_hosts=stack_settings.url_fetch_allowed_hosts
        )
        records = RecordsActivities(sessionmaker)
        media = MediaActivities(s3)
        fetch = FetchVideoInput(url=f"{file_server}/retry.mp4", dest_key=staging, max_bytes=10**8)
        fetched = [await env.run(storage.fetch_video, fetch) for _ in range(2)]
        assert fetched[0] == fetched[1]
        probe = await env.run(media.probe_video, ProbeVideoInput(key=staging))
        publish = PublishObjectInput(source_key=staging, dest_key=final, content_type="video/mp4", metadata={"a": "1"})
        for _ in range(2):  # the second run finds the source already gone
            await env.run(storage.publish_object, publish)
        fields = BenchmarkFields(
            creative_name="retry", product_category="retry", market_cvr=0.02, market_longevity_days=5,
            avg_daily_clicks=100,
        )  # fmt: skip
        upsert = UpsertBenchmarkInput(
            creative_id=creative_id,
            fields=fields,
            video=StoredObject(key=final, sha256=fetched[0].sha256, size_bytes=fetched[0].size_bytes),
            probe=probe,
            source_url=None,
            original_filename=None,
            bayesian_alpha=11,
            bayesian_beta=491,
        )
        for _ in range(2):
            await env.run(records.upsert_benchmark, upsert)

    async with sessionmaker() as session:
        creatives = await session.scalar(select(func.count()).select_from(Creative).where(Creative.id == creative_id))
        patterns = await session.scalar(
            select(func.count()).select_from(PatternPerformance).where(PatternPerformance.creative_id == creative_id)
        )
    await engine.dispose()
    assert (creatives, patterns) == (1, 1)
    public = await s3.list_objects_v2(Bucket="market-benchmarks", Prefix=f"benchmarks/{creative_id}")
    staged = await s3.list_objects_v2(Bucket="client-assets", Prefix=f"staging/benchmarks/{creative_id}")
    assert [item["Key"] for item in public.get("Contents", [])] == [f"benchmarks/{creative_id}.mp4"]
    assert staged.get("KeyCount", 0) == 0
