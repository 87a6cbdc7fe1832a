"""RecordsActivities: PostgreSQL upserts keyed by caller-made ids, so a retry leaves one row."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import INVALID_INPUT
from domain.prior import BENCHMARK_WEIGHT
from models.evidence import pattern_row_id
from models.schemas.benchmarks import RecordFailureInput, RecordFailureOutput, UpsertBenchmarkInput
from models.schemas.common import Done
from models.tables import Creative, PatternPerformance
from models.upsert import upsert_row


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
            # a client creative's id is refused by the API; this guard keeps one from ever turning public
            keep = frozenset({"analysis_status"})
            if not await upsert_row(session, Creative, creative, keep=keep, only_if=Creative.is_benchmark.is_(True)):
                raise ApplicationError("the id belongs to a client creative", type=INVALID_INPUT, non_retryable=True)
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
            if existing is not None and not existing.is_benchmark:
                raise ApplicationError("the id belongs to a client creative", type=INVALID_INPUT, non_retryable=True)
            if existing is not None and existing.status == "ready":
                # a re-ingest failed: the creative stored earlier stays as it was
                return RecordFailureOutput(kept_existing=True)
            await upsert_row(session, Creative, creative)
        return RecordFailureOutput(kept_existing=False)
