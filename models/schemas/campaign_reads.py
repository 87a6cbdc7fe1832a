"""Reading what the campaigns engine made: campaigns with their clip and decision, and a video asset's state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.schemas.campaigns import BestClipOut


class CampaignOut(BaseModel):
    """A campaign as the system made it: its clip and the decision behind it, budget and results."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9a2f6c14-5e7b-4d83-b0a9-1f3e8c7d2b56",
                    "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                    "clip_id": "3c9e5a71-8b2d-4f60-a1e4-7d2b9c0f6e38",
                    "platform": "tiktok",
                    "name": "Glow serum – tiktok",
                    "status": "draft",
                    "budget_cents": 3500,
                    "optimization_meta": {"probability_best": 0.58},
                    "impressions": 12000,
                    "clicks": 480,
                    "conversions": 19,
                    "created_at": "2026-11-30T14:05:09Z",
                    "clip_start_s": 0.0,
                    "clip_end_s": 22.0,
                    "clip_variant": "vertical",
                    "decision": {
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
                    },
                    "external_ids": {},
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "9a2f6c14-5e7b-4d83-b0a9-1f3e8c7d2b56",
                            "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                            "clip_id": "3c9e5a71-8b2d-4f60-a1e4-7d2b9c0f6e38",
                            "platform": "tiktok",
                            "name": "Glow serum – tiktok",
                            "status": "draft",
                            "budget_cents": 3500,
                            "optimization_meta": {"probability_best": 0.58},
                            "impressions": 12000,
                            "clicks": 480,
                            "conversions": 19,
                            "created_at": "2026-11-30T14:05:09Z",
                            "clip_start_s": 0.0,
                            "clip_end_s": 22.0,
                            "clip_variant": "vertical",
                            "decision": {
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
                            },
                            "external_ids": {},
                        }
                    ],
                    "total": 1,
                    "limit": 20,
                    "offset": 0,
                }
            ]
        }
    )

    items: list[CampaignOut]
    total: int
    limit: int
    offset: int


class VideoAssetOut(BaseModel):
    """A video asset: where its clipping stands (and why it failed), its clips, its decisions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                    "name": "Spring launch",
                    "product_category": "skincare",
                    "status": "ready",
                    "failure_reason": None,
                    "original_filename": "spring-launch.mov",
                    "duration_s": 60.0,
                    "width": 1920,
                    "height": 1080,
                    "has_audio": True,
                    "created_at": "2026-11-30T14:05:09Z",
                    "clips_total": 8,
                    "clips_ready": 8,
                    "clips_failed": 0,
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
                            "start_s": 0.0,
                            "end_s": 22.0,
                            "variant": "vertical",
                            "decided_at": "2026-11-30T14:05:09Z",
                        }
                    ],
                }
            ]
        }
    )

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
