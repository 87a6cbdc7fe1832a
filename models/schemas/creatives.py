"""Client creatives: performance totals, forced analysis, video access, the creative's detail."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from models.schemas.analysis import AnalysisOut


class PerformanceTotals(BaseModel):
    creative_id: uuid.UUID
    counted: bool  # false when this event_id was already counted
    impressions: int
    clicks: int
    conversions: int


class ForceAnalyzeRequest(BaseModel):
    creative_id: uuid.UUID


class VideoAccess(BaseModel):
    creative_id: uuid.UUID
    creative_name: str
    video_url: str
    is_public: bool
    expires_in: int | None  # seconds; None for a public URL


class CreativeOut(BaseModel):
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
