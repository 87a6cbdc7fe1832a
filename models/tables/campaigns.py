"""Video assets, clips, best-clip decisions, rule weights, campaigns, their results and the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base, JsonB, created_at_column, updated_at_column


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
    created_at: Mapped[datetime] = created_at_column()


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
    created_at: Mapped[datetime] = created_at_column()


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
    decided_at: Mapped[datetime] = updated_at_column()
    # the clip ranked second and its score: what the winner beat (null when it was alone, or decided before 0008)
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
    created_at: Mapped[datetime] = created_at_column()


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
    created_at: Mapped[datetime] = created_at_column()
    # published to Meta (PublishCampaignWorkflow): the account it went to and every object it made there
    ad_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ad_accounts.id", ondelete="SET NULL"))
    creative_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("creatives.id", ondelete="SET NULL"))
    meta_video_id: Mapped[str | None] = mapped_column(String(40))
    meta_creative_id: Mapped[str | None] = mapped_column(String(40))
    meta_campaign_id: Mapped[str | None] = mapped_column(String(40))
    meta_adset_id: Mapped[str | None] = mapped_column(String(40))
    meta_ad_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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
    created_at: Mapped[datetime] = created_at_column()


class SocialSyncLedger(Base):
    """Append-only audit trail; `idempotency_key` keeps a retried write from appending twice."""

    __tablename__ = "social_sync_ledger"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(50), index=True)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonB, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = created_at_column()
