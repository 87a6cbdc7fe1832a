"""Campaigns engine: per-platform decisions, draft campaigns, OrchestrateCampaignsWorkflow's I/O, best clip."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from models.schemas.learning import BudgetAllocation


class ScorePlatformInput(BaseModel):
    video_asset_id: uuid.UUID
    platform: str
    half_life_days: float = 180.0  # benchmark evidence decays as in recommendations and budgets


class PlatformDecision(BaseModel):
    video_asset_id: uuid.UUID
    platform: str
    clip_id: uuid.UUID
    score: float
    breakdown: dict[str, float]
    weights_version: int
    spec_version: str
    num_candidates: int
    decided_at: datetime | None = None  # set when the decision is recorded


class RecordDecisionInput(BaseModel):
    decision: PlatformDecision
    request_id: str


class DraftCampaign(BaseModel):
    campaign_id: uuid.UUID
    video_asset_id: uuid.UUID
    clip_id: uuid.UUID
    platform: str
    name: str
    status: str
    budget_cents: int
    optimization_meta: dict[str, Any]
    created: bool  # false: the draft for this (asset, platform, clip) already existed


class CreateCampaignInput(BaseModel):
    decision: PlatformDecision
    campaign_id: uuid.UUID  # made by the workflow; used only when no draft exists yet


class OrchestrateCampaignsInput(BaseModel):
    video_asset_id: uuid.UUID
    platforms: list[str]
    request_id: str
    daily_budget_cents: int | None = None
    budget_min_share: float = 0.1
    half_life_days: float = 180.0


class OrchestrateCampaignResponse(BaseModel):
    video_asset_id: uuid.UUID
    decisions: list[PlatformDecision]
    campaigns_created: list[uuid.UUID] = Field(description="the draft campaigns' ids, one per platform")
    campaigns: list[DraftCampaign] = Field(default_factory=list, description="the drafts themselves")
    budget: list[BudgetAllocation] = Field(default_factory=list)


class OrchestrateRequest(BaseModel):
    video_asset_id: uuid.UUID
    platforms: list[str] = Field(default_factory=lambda: ["tiktok", "instagram", "youtube"], min_length=1, max_length=3)
    request_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    daily_budget_cents: int | None = Field(None, ge=0, le=10**11, description="shared by the drafts by P(best)")


class BestClipOut(BaseModel):
    video_asset_id: uuid.UUID
    platform: str
    clip_id: uuid.UUID
    score: float
    breakdown: dict[str, float]
    weights_version: int
    spec_version: str | None
    num_candidates: int
    start_s: float
    end_s: float
    variant: str
    decided_at: Any


class CampaignOut(BaseModel):
    """A campaign as the system made it: its clip and the decision behind it, budget and results."""

    id: uuid.UUID
    video_asset_id: uuid.UUID
    clip_id: uuid.UUID
    platform: str
    name: str
    status: str
    budget_cents: int
    optimization_meta: dict[str, Any]
    impressions: int
    clicks: int
    conversions: int
    created_at: datetime
    clip_start_s: float | None = None
    clip_end_s: float | None = None
    clip_variant: str | None = None
    decision: BestClipOut | None = Field(None, description="the current best-clip decision of its asset and platform")
    external_ids: dict[str, str] = Field(default_factory=dict, description="ids on the ad platform once published")


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    total: int
    limit: int
    offset: int


class VideoAssetOut(BaseModel):
    """A video asset: where its clipping stands (and why it failed), its clips, its decisions."""

    id: uuid.UUID
    name: str
    product_category: str | None
    status: str
    failure_reason: str | None
    original_filename: str | None
    duration_s: float | None
    width: int | None
    height: int | None
    has_audio: bool | None
    created_at: datetime
    clips_total: int
    clips_ready: int
    clips_failed: int
    decisions: list[BestClipOut]
