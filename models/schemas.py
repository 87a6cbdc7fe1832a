"""Pydantic models: API bodies and workflow/activity I/O (one input and one output model each)."""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SourcePlatform = Literal["tiktok", "instagram", "youtube", "facebook", "other"]

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Label = Annotated[str, Field(min_length=1, max_length=100)]


class BenchmarkFields(BaseModel):
    """What the user tells about a market-winning ad (the seed's `ingest_benchmark_video` arguments)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    creative_name: ShortText
    product_category: Label
    source_platform: SourcePlatform = "other"
    market_cvr: float = Field(ge=0, le=1, description="conversion rate the ad reached, 0..1")
    market_longevity_days: int = Field(gt=0, le=3650, description="days the ad ran")
    avg_daily_clicks: float = Field(gt=0, le=1e9, description="average clicks per day")
    hook_type: Label | None = None
    emotion: Label | None = None
    pacing: Label | None = None
    target_audience_pain: Annotated[str, Field(max_length=2000)] | None = None

    @field_validator("market_cvr", "avg_daily_clicks")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class BenchmarkFromUrl(BenchmarkFields):
    """POST /api/v1/benchmarks as JSON: the video is fetched from an http(s) URL."""

    video_url: Annotated[str, Field(min_length=8, max_length=2000)]
    creative_id: uuid.UUID | None = Field(None, description="caller-made id; repeating it repeats nothing")

    @field_validator("video_url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("only http:// and https:// URLs are accepted")
        return value


class WorkflowStarted(BaseModel):
    creative_id: uuid.UUID
    workflow_id: str


class VideoSource(BaseModel):
    """Where a video comes from: an http(s) URL, or an object the API already staged."""

    url: str | None = None
    staged_key: str | None = None
    staged_sha256: str | None = None
    staged_size: int | None = None
    original_filename: str | None = None


class IngestBenchmarkInput(BaseModel):
    creative_id: uuid.UUID
    fields: BenchmarkFields
    source: VideoSource
    public_bucket: str
    staging_bucket: str
    max_bytes: int
    prior_max_clicks: float


class IngestBenchmarkOutput(BaseModel):
    creative_id: uuid.UUID
    video_key: str
    bayesian_alpha: float
    bayesian_beta: float
    analysis_workflow_id: str


class FetchVideoInput(BaseModel):
    url: str
    dest_key: str  # r2://bucket/key
    max_bytes: int


class StoredObject(BaseModel):
    key: str  # r2://bucket/key
    sha256: str
    size_bytes: int


class ProbeVideoInput(BaseModel):
    key: str


class VideoProbe(BaseModel):
    container: str
    extension: str
    codec: str
    duration_s: float
    width: int
    height: int
    has_audio: bool
    size_bytes: int


class PublishObjectInput(BaseModel):
    source_key: str
    dest_key: str
    content_type: str
    metadata: dict[str, str]


class DeleteObjectsInput(BaseModel):
    keys: list[str]


class UpsertBenchmarkInput(BaseModel):
    creative_id: uuid.UUID
    fields: BenchmarkFields
    video: StoredObject
    probe: VideoProbe
    source_url: str | None
    original_filename: str | None
    bayesian_alpha: float
    bayesian_beta: float


class RecordFailureInput(BaseModel):
    creative_id: uuid.UUID
    fields: BenchmarkFields
    reason: str
    source_url: str | None
    original_filename: str | None


class RecordFailureOutput(BaseModel):
    kept_existing: bool  # an earlier successful ingest of the same creative is kept


class Done(BaseModel):
    """An activity's empty answer (kept a model so fields can be added)."""

    ok: bool = True


class AnalyzeCreativeInput(BaseModel):
    creative_id: uuid.UUID
    is_benchmark: bool
    conversions: int = 0
    analyses_done: int = 0
    pending_force: int = 0


class WorkflowStatus(BaseModel):
    workflow_id: str
    run_id: str | None
    workflow_type: str
    status: str
    progress: str | None = None  # what a running workflow is doing now
    result: Any | None = None
    failure: dict[str, Any] | None = None


class BenchmarkOut(BaseModel):
    creative_id: uuid.UUID
    creative_name: str
    product_category: str
    source_platform: str | None
    market_cvr: float | None
    market_longevity_days: int | None
    avg_daily_clicks: float | None
    hook_type: str | None
    emotion: str | None
    pacing: str | None
    target_audience_pain: str | None
    bayesian_alpha: float | None
    bayesian_beta: float | None
    prior_mean: float | None
    video_url: str | None
    duration_s: float | None
    width: int | None
    height: int | None
    analysis_status: str


class BenchmarkPage(BaseModel):
    items: list[BenchmarkOut]
    total: int
    limit: int
    offset: int
