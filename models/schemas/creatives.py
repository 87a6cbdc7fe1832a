"""Client creatives: performance totals, forced analysis, video access, the creative's detail."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict

from models.schemas.analysis import AnalysisOut
from models.schemas.common import ReportTotals


class PerformanceTotals(ReportTotals):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "creative_id": "0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21",
                    "counted": True,
                    "impressions": 5200,
                    "clicks": 210,
                    "conversions": 5,
                }
            ]
        }
    )

    creative_id: uuid.UUID


class ForceAnalyzeRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"creative_id": "6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10"}]})

    creative_id: uuid.UUID


class VideoAccess(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "creative_id": "6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10",
                    "creative_name": "Glow serum",
                    "video_url": "https://pub-0123456789abcdef.r2.dev/benchmarks/6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10.mp4",
                    "is_public": True,
                    "expires_in": None,
                }
            ]
        }
    )

    creative_id: uuid.UUID
    creative_name: str
    video_url: str
    is_public: bool
    expires_in: int | None  # seconds; None for a public URL


class CreativeOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21",
                    "name": "Morning routine",
                    "is_benchmark": False,
                    "is_public": False,
                    "product_category": "skincare",
                    "source_platform": None,
                    "status": "ready",
                    "failure_reason": None,
                    "analysis_status": "done",
                    "tags": ["spring", "ugc"],
                    "hook_type": "question",
                    "emotion": "curiosity",
                    "pacing": "fast",
                    "target_audience_pain": "dry skin that stays dry after moisturising",
                    "impressions": 5200,
                    "clicks": 210,
                    "conversions": 5,
                    "duration_s": 12.0,
                    "width": 1080,
                    "height": 1920,
                    "has_audio": True,
                    "original_filename": "morning-routine.mp4",
                    "workflow_id": "creative-0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21",
                    "analyses": [
                        {
                            "id": "7b3e9d15-2c8a-4f61-9e0b-4a5d6c7e8f90",
                            "trigger": "conversions",
                            "model": "claude-sonnet-5-5",
                            "prompt_version": "v2",
                            "frame_keys": [
                                "r2://client-assets/frames/0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21/0.jpg",
                                "r2://client-assets/frames/0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21/3.jpg",
                                "r2://client-assets/frames/0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21/10.jpg",
                            ],
                            "frame_timestamps": [0.0, 3.0, 10.0],
                            "result": {
                                "hook_type": "question",
                                "emotion": "curiosity",
                                "pacing": "fast",
                                "target_audience_pain": "dry skin that stays dry after moisturising",
                                "summary": "A creator asks about dry skin, shows the cream, ends on a shop-now card.",
                            },
                            "tags": ["question", "curiosity", "fast"],
                            "input_tokens": 3312,
                            "output_tokens": 214,
                            "created_at": "2026-11-30T14:05:09Z",
                        }
                    ],
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    is_benchmark: bool
    is_public: bool
    product_category: str
    source_platform: str | None
    status: str
    failure_reason: str | None
    analysis_status: str
    tags: list[str]
    hook_type: str | None
    emotion: str | None
    pacing: str | None
    target_audience_pain: str | None
    impressions: int
    clicks: int
    conversions: int
    duration_s: float | None
    width: int | None
    height: int | None
    has_audio: bool | None
    original_filename: str | None
    workflow_id: str
    analyses: list[AnalysisOut]
