"""Creatives, their analyses, pattern evidence and performance events (docs/DESIGN.md §7)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base, JsonB, created_at_column, updated_at_column


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
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


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
    created_at: Mapped[datetime] = created_at_column()


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
    updated_at: Mapped[datetime] = updated_at_column()


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
    created_at: Mapped[datetime] = created_at_column()
