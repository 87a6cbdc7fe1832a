"""Campaigns engine: per-platform decisions, draft campaigns, OrchestrateCampaignsWorkflow's I/O, best clip."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from domain.platforms import PLATFORMS
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
    # the clip ranked next, so a reader sees what the winner beat and by how much (None: it was alone)
    runner_up_clip_id: uuid.UUID | None = None
    runner_up_score: float | None = None
    runner_up_breakdown: dict[str, float] | None = None


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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                    "decisions": [
                        {
                            "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                            "platform": "tiktok",
                            "clip_id": "3c9e5a71-8b2d-4f60-a1e4-7d2b9c0f6e38",
                            "score": 0.87,
                            "breakdown": {
                                "aspect": 1.0,
                                "duration": 0.92,
                                "resolution": 1.0,
                                "audio": 1.0,
                                "pacing": 0.8,
                                "dynamic_start": 1.0,
                                "early_face": 1.0,
                                "loudness": 0.85,
                                "pattern_cvr": 0.41,
                            },
                            "weights_version": 1,
                            "spec_version": "2025-01",
                            "num_candidates": 8,
                            "decided_at": "2026-11-30T14:05:09Z",
                        }
                    ],
                    "campaigns_created": ["9a2f6c14-5e7b-4d83-b0a9-1f3e8c7d2b56"],
                    "campaigns": [
                        {
                            "campaign_id": "9a2f6c14-5e7b-4d83-b0a9-1f3e8c7d2b56",
                            "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                            "clip_id": "3c9e5a71-8b2d-4f60-a1e4-7d2b9c0f6e38",
                            "platform": "tiktok",
                            "name": "Glow serum – tiktok",
                            "status": "draft",
                            "budget_cents": 10000,
                            "optimization_meta": {"probability_best": 1.0},
                            "created": True,
                        }
                    ],
                    "budget": [
                        {
                            "campaign_id": "9a2f6c14-5e7b-4d83-b0a9-1f3e8c7d2b56",
                            "platform": "tiktok",
                            "budget_cents": 10000,
                            "probability_best": 1.0,
                        }
                    ],
                }
            ]
        }
    )

    video_asset_id: uuid.UUID
    decisions: list[PlatformDecision]
    campaigns_created: list[uuid.UUID] = Field(description="the draft campaigns' ids, one per platform")
    campaigns: list[DraftCampaign] = Field(default_factory=list, description="the drafts themselves")
    budget: list[BudgetAllocation] = Field(default_factory=list)


class OrchestrateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                    "platforms": ["tiktok", "instagram", "youtube"],
                    "daily_budget_cents": 10000,
                    "request_id": "spring-launch-1",
                }
            ]
        }
    )

    video_asset_id: uuid.UUID
    platforms: list[str] = Field(default_factory=lambda: list[str](PLATFORMS), min_length=1, max_length=len(PLATFORMS))
    request_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    daily_budget_cents: int | None = Field(None, ge=0, le=10**11, description="shared by the drafts by P(best)")


class BestClipOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                    "platform": "tiktok",
                    "clip_id": "3c9e5a71-8b2d-4f60-a1e4-7d2b9c0f6e38",
                    "score": 0.87,
                    "breakdown": {
                        "aspect": 1.0,
                        "duration": 0.92,
                        "resolution": 1.0,
                        "audio": 1.0,
                        "pacing": 0.8,
                        "dynamic_start": 1.0,
                        "early_face": 1.0,
                        "loudness": 0.85,
                        "pattern_cvr": 0.41,
                    },
                    "weights_version": 1,
                    "spec_version": "2025-01",
                    "num_candidates": 8,
                    "start_s": 0.0,
                    "end_s": 22.0,
                    "variant": "vertical",
                    "decided_at": "2026-11-30T14:05:09Z",
                    "runner_up": {
                        "clip_id": "9d0c7b51-3e2a-4f18-b6c4-2a8e1f5d7c90",
                        "score": 0.81,
                        "start_s": 24.5,
                        "end_s": 37.0,
                        "variant": "vertical",
                        "breakdown": {"aspect": 1.0, "duration": 1.0, "pacing": 0.6, "dynamic_start": 0.0},
                    },
                    "why": "best of 8 candidates, 0.81 for the runner-up; ahead on dynamic_start (+1.00), "
                    "pacing (+0.20); behind on duration_fit (-0.08)",
                }
            ]
        }
    )

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
    runner_up: RunnerUp | None = Field(None, description="the clip ranked second (null: the winner was alone)")
    why: str | None = Field(None, description="the winner against the runner-up, term by term")


class RunnerUp(BaseModel):
    """The clip a best-clip decision ranked second."""

    clip_id: uuid.UUID
    score: float
    start_s: float | None  # null once its clip is gone
    end_s: float | None
    variant: str | None
    breakdown: dict[str, float]
