"""The ORM tables (SQLAlchemy 2.0, `Mapped[...]`), DESIGN.md §7; schema changes go through Alembic."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonB = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False)


class Creative(Base):
    """A video ad: a public market benchmark or a client's private creative."""

    __tablename__ = "creatives"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'ready', 'failed')", name="status"),
        CheckConstraint("market_cvr IS NULL OR (market_cvr >= 0 AND market_cvr <= 1)", name="market_cvr_range"),
        Index("ix_creatives_benchmark_category", "is_benchmark", "product_category"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str | None] = mapped_column(String(200), index=True)
    is_benchmark: Mapped[bool] = mapped_column(Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    product_category: Mapped[str] = mapped_column(String(100))
    source_platform: Mapped[str | None] = mapped_column(String(50))
    # internal key `r2://bucket/key`; never a user's file name
    video_key: Mapped[str | None] = mapped_column(String(500))
    original_filename: Mapped[str | None] = mapped_column(String(500))
    source_url: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    container: Mapped[str | None] = mapped_column(String(100))
    codec: Mapped[str | None] = mapped_column(String(50))
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_audio: Mapped[bool | None] = mapped_column(Boolean)
    market_cvr: Mapped[float | None] = mapped_column(Float)
    market_longevity_days: Mapped[int | None] = mapped_column(Integer)
    avg_daily_clicks: Mapped[float | None] = mapped_column(Float)
    hook_type: Mapped[str | None] = mapped_column(String(100))
    emotion: Mapped[str | None] = mapped_column(String(100))
    pacing: Mapped[str | None] = mapped_column(String(100))
    target_audience_pain: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    clicks: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    conversions: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # ingest state of the video itself; `failure_reason` says why a `failed` one was refused
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    failure_reason: Mapped[str | None] = mapped_column(Text)
    analysis_status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class CreativeAnalysis(Base):
    """One Claude Vision run over a creative's three frames."""

    __tablename__ = "creative_analyses"
    __table_args__ = (CheckConstraint("trigger IN ('benchmark', 'conversions', 'force')", name="trigger"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    creative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(100))
    prompt_version: Mapped[str] = mapped_column(String(50))
    # hash of (frames, model, prompt version): a paid call is never repeated for the same inputs
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    frame_keys: Mapped[list[str]] = mapped_column(JsonB)
    frame_timestamps: Mapped[list[float]] = mapped_column(JsonB)
    result: Mapped[dict[str, Any]] = mapped_column(JsonB)
    tags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created_at()


class PatternPerformance(Base):
    """Evidence for a creative pattern: one row per (creative, source), benchmark or client."""

    __tablename__ = "pattern_performance"
    __table_args__ = (
        UniqueConstraint("creative_id", "source"),
        CheckConstraint("source IN ('benchmark', 'client')", name="source"),
        CheckConstraint("bayesian_alpha >= 1 AND bayesian_beta >= 1", name="beta_params"),
        Index("ix_pattern_performance_pattern", "hook_type", "emotion", "pacing", "product_category"),
        Index("ix_pattern_performance_visible", "product_category", "source", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hook_type: Mapped[str | None] = mapped_column(String(100))
    emotion: Mapped[str | None] = mapped_column(String(100))
    pacing: Mapped[str | None] = mapped_column(String(100))
    product_category: Mapped[str] = mapped_column(String(100))
    creative_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20), index=True)
    owner_id: Mapped[str | None] = mapped_column(String(200))  # the client's, on client rows: what it may learn from
    weight: Mapped[float] = mapped_column(Float)
    market_longevity_days: Mapped[int | None] = mapped_column(Integer)
    bayesian_alpha: Mapped[float] = mapped_column(Float)
    bayesian_beta: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = _updated_at()


class PerformanceEvent(Base):
    """A performance report already counted; its event_id makes a retried report count once."""

    __tablename__ = "performance_events"
    __table_args__ = (UniqueConstraint("creative_id", "event_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    creative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    conversions: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _created_at()


class VideoAsset(Base):
    """A client video to be cut into clips for the ad platforms."""

    __tablename__ = "video_assets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # the category whose pattern evidence scores its clips (benchmarks and the client's own ads)
    product_category: Mapped[str | None] = mapped_column(String(100))
    has_audio: Mapped[bool | None] = mapped_column(Boolean)
    original_filename: Mapped[str | None] = mapped_column(String(500))
    video_key: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


class Clip(Base):
    """A candidate clip of a video asset with the features the rule engine scores."""

    __tablename__ = "clips"
    __table_args__ = (CheckConstraint("status IN ('PENDING', 'READY', 'FAILED')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("video_assets.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="PENDING", server_default="PENDING")
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    # 'original' framing, a 'vertical' 9:16 crop of a horizontal source, or 'registered' (cut elsewhere)
    variant: Mapped[str] = mapped_column(String(20), default="original", server_default="original")
    clip_key: Mapped[str | None] = mapped_column(String(500))
    features: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


class BestClipDecision(Base):
    """The winning clip of a video asset for one platform; a later run overwrites it."""

    __tablename__ = "best_clip_decisions"
    __table_args__ = (UniqueConstraint("video_asset_id", "platform"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("video_assets.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20), index=True)
    clip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    weights_version: Mapped[int] = mapped_column(Integer, default=1)
    spec_version: Mapped[str | None] = mapped_column(String(20))
    num_candidates: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = _updated_at()
    # the clip ranked second and its score: what the winner beat (null when it was alone, or decided before 0007)
    runner_up_clip_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clips.id", ondelete="SET NULL"))
    runner_up_score: Mapped[float | None] = mapped_column(Float)
    runner_up_breakdown: Mapped[dict[str, Any] | None] = mapped_column(JsonB)


class RuleWeights(Base):
    """A version of one platform's Rule Engine weights; decisions name the version they used."""

    __tablename__ = "rule_weights"
    __table_args__ = (UniqueConstraint("platform", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    terms: Mapped[dict[str, float]] = mapped_column(JsonB)
    source: Mapped[str] = mapped_column(String(20), default="seed", server_default="seed")  # seed | trained
    metrics: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    created_at: Mapped[datetime] = _created_at()


class Campaign(Base):
    """A draft campaign made from a best-clip decision."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("video_asset_id", "platform", "clip_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("video_assets.id", ondelete="CASCADE"), index=True)
    clip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    name: Mapped[str] = mapped_column(String(300))
    budget_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    optimization_meta: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    # observed results: what rule-engine training learns from
    impressions: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    clicks: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    conversions: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = _created_at()


class CampaignPerformanceEvent(Base):
    """A campaign result report already counted; its event_id makes a retried report count once."""

    __tablename__ = "campaign_performance_events"
    __table_args__ = (UniqueConstraint("campaign_id", "event_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    conversions: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _created_at()


class SocialSyncLedger(Base):
    """Append-only audit trail; `idempotency_key` keeps a retried write from appending twice."""

    __tablename__ = "social_sync_ledger"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(50), index=True)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonB, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = _created_at()


class UploadSession(Base):
    """A direct-to-storage multipart upload a client started; completing it makes its creative or asset."""

    __tablename__ = "upload_sessions"
    __table_args__ = (
        CheckConstraint("purpose IN ('creative', 'video_asset')", name="purpose"),
        CheckConstraint("status IN ('open', 'completed', 'aborted')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID] = mapped_column()  # the creative or video asset it makes, fixed at the start
    video_key: Mapped[str] = mapped_column(String(500))  # where the parts land (server-made)
    storage_upload_id: Mapped[str] = mapped_column(Text)  # the S3/R2 multipart UploadId
    original_filename: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    part_size: Mapped[int] = mapped_column(BigInteger)
    part_count: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)  # the creative's or asset's form fields
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created_at()


class UsageCounter(Base):
    """What one client used on one UTC day, per kind (`upload` with its bytes, `analysis`): the daily caps."""

    __tablename__ = "usage_counters"

    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
