"""RecordsActivities: PostgreSQL upserts keyed by caller-made ids, so a retry leaves one row."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from domain.prior import BENCHMARK_WEIGHT
from models.schemas.benchmarks import RecordFailureInput, RecordFailureOutput, UpsertBenchmarkInput
from models.schemas.common import Done
from models.tables import Creative, PatternPerformance

# a benchmark's pattern row has a stable id derived from its creative: re-ingest updates, never adds
PATTERN_ID_NAMESPACE = uuid.UUID("6f1b1c2e-5d7a-4f0e-9a43-2b8f3c1d9e10")


def pattern_row_id(creative_id: uuid.UUID, source: str) -> uuid.UUID:
    return uuid.uuid5(PATTERN_ID_NAMESPACE, f"{creative_id}:{source}")


def _benchmark_columns(fields: Any) -> dict[str, Any]:
    return {
        "name": fields.creative_name,
        "product_category": fields.product_category,
        "source_platform": fields.source_platform,
        "market_cvr": fields.market_cvr,
        "market_longevity_days": fields.market_longevity_days,
        "avg_daily_clicks": fields.avg_daily_clicks,
        "hook_type": fields.hook_type,
        "emotion": fields.emotion,
        "pacing": fields.pacing,
        "target_audience_pain": fields.target_audience_pain,
        "is_benchmark": True,
        "is_public": True,
        "owner_id": None,
    }


def probe_columns(probe: Any) -> dict[str, Any]:
    """A probed video's facts as creative columns, and the creative `ready`."""
    return {
        "container": probe.container,
        "codec": probe.codec,
        "duration_s": probe.duration_s,
        "width": probe.width,
        "height": probe.height,
        "has_audio": probe.has_audio,
        "status": "ready",
        "failure_reason": None,
    }


async def upsert_row(
    session: AsyncSession,
    table: Any,
    values: dict[str, Any],
    *,
    keys: tuple[str, ...] = ("id",),
    keep: frozenset[str] = frozenset(),
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE every other given column but `keep`: a retry writes the same row."""
    statement = insert(table).values(**values)
    fixed = {"id", *keys, *keep}
    updates: dict[str, Any] = {k: statement.excluded[k] for k in values if k not in fixed}
    if "updated_at" in table.__table__.c:
        updates["updated_at"] = func.now()
    await session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates))


class RecordsActivities:
    """Database writes; the session factory is built once by the worker and injected."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    @activity.defn
    async def upsert_benchmark(self, params: UpsertBenchmarkInput) -> Done:
        """The creative (ready, public) and its benchmark pattern row, in one transaction."""
        fields, probe, video = params.fields, params.probe, params.video
        creative = {
            "id": params.creative_id,
            **_benchmark_columns(fields),
            "video_key": video.key,
            "sha256": video.sha256,
            "size_bytes": video.size_bytes,
            "source_url": params.source_url,
            "original_filename": params.original_filename,
            **probe_columns(probe),
        }
        pattern = {
            "id": pattern_row_id(params.creative_id, "benchmark"),
            "creative_id": params.creative_id,
            "source": "benchmark",
            "weight": BENCHMARK_WEIGHT,
            "hook_type": fields.hook_type,
            "emotion": fields.emotion,
            "pacing": fields.pacing,
            "product_category": fields.product_category,
            "market_longevity_days": fields.market_longevity_days,
            "bayesian_alpha": params.bayesian_alpha,
            "bayesian_beta": params.bayesian_beta,
        }
        async with self.sessionmaker.begin() as session:
            # analysis_status is the analysis workflow's to change; a re-ingest keeps it
            await upsert_row(session, Creative, creative, keep=frozenset({"analysis_status"}))
            await upsert_row(session, PatternPerformance, pattern)
        return Done()

    @activity.defn
    async def record_ingest_failure(self, params: RecordFailureInput) -> RecordFailureOutput:
        """The creative as `failed` with the reason; no video, no pattern row (nothing half-written)."""
        creative = {
            "id": params.creative_id,
            **_benchmark_columns(params.fields),
            "is_public": False,
            "source_url": params.source_url,
            "original_filename": params.original_filename,
            "status": "failed",
            "failure_reason": params.reason,
            "analysis_status": "skipped",
        }
        async with self.sessionmaker.begin() as session:
            existing = await session.get(Creative, params.creative_id)
            if existing is not None and existing.status == "ready":
                # a re-ingest failed: the creative stored earlier stays as it was
                return RecordFailureOutput(kept_existing=True)
            await upsert_row(session, Creative, creative)
        return RecordFailureOutput(kept_existing=False)
