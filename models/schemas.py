"""Pydantic models: API bodies and workflow/activity I/O (one input and one output model each)."""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.rules import ClipFeatures

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
    vision_backend: Literal["anthropic", "local"] = "local"
    analysis_options: AnalysisOptions = Field(default_factory=lambda: AnalysisOptions())


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
    """Entity state carried across continue-as-new, plus what the analysis needs."""

    creative_id: uuid.UUID
    is_benchmark: bool
    video_key: str
    frames_bucket: str
    vision_backend: Literal["anthropic", "local"] = "local"
    options: AnalysisOptions = Field(default_factory=lambda: AnalysisOptions())
    probed: bool = False  # benchmarks are probed by their ingest; client videos by this workflow
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


# --- creative analysis (frames, vision) ---

FrameLabel = Literal["hook", "body", "cta"]
Unknown = Literal["unknown"]


class AnalysisOptions(BaseModel):
    """What the analysis workflow needs from settings (never secrets: inputs live in history)."""

    frame_timestamps: list[float] = Field(default_factory=lambda: [0.0, 3.0, 10.0])
    frame_max_edge: int = 1024
    idle_timeout_seconds: float = 7 * 24 * 3600


class Frame(BaseModel):
    label: FrameLabel
    key: str  # r2://bucket/frames/{creative_id}/{analysis_id}/{label}.jpg
    requested_s: float
    timestamp_s: float  # where the frame really is (a short video moves its CTA frame)
    width: int
    height: int
    sha256: str


class ExtractFramesInput(BaseModel):
    creative_id: uuid.UUID
    analysis_id: uuid.UUID
    video_key: str
    frames_bucket: str
    timestamps: list[float]
    max_edge: int


class ExtractFramesOutput(BaseModel):
    frames: list[Frame]
    duration_s: float


class CreativeInsights(BaseModel):
    """What an analysis says about a creative (Claude's structured answer or the local analyzer's)."""

    hook_type: str = Field(description="e.g. question, problem-agitate, before-after, testimonial, unknown")
    emotion: str = Field(description="dominant emotion, e.g. curiosity, relief, excitement, unknown")
    pacing: Literal["fast", "medium", "slow", "unknown"]
    target_audience_pain: str = Field(description="the pain point addressed, or unknown")
    on_screen_text: list[str] = Field(default_factory=list, description="text visible on the frames")
    people_present: bool | None = None
    face_present: bool | None = None
    cta_present: bool | None = None
    cta_kind: str | None = Field(None, description="e.g. shop-now, link-in-bio, download, none, unknown")
    summary: str
    confidence: float = Field(ge=0, le=1)
    measurements: dict[str, float | int | bool | None] = Field(
        default_factory=dict, description="local analyzer only: cuts, brightness, motion, audio ..."
    )


class AnalyzeFramesInput(BaseModel):
    analysis_id: uuid.UUID
    creative_id: uuid.UUID
    trigger: str
    video_key: str
    frames: list[Frame]


class AnalyzeFramesOutput(BaseModel):
    analysis_id: uuid.UUID  # the stored row holding the result (an earlier one when reused)
    insights: CreativeInsights
    backend: Literal["anthropic", "local"]
    model: str
    prompt_version: str
    input_tokens: int
    output_tokens: int
    reused: bool


class ApplyAnalysisInput(BaseModel):
    creative_id: uuid.UUID
    analysis_id: uuid.UUID
    insights: CreativeInsights


class AnalysisStatusInput(BaseModel):
    creative_id: uuid.UUID
    analysis_status: Literal["waiting", "analyzing", "analyzed", "failed"]
    reason: str | None = None


class ProbeResultInput(BaseModel):
    creative_id: uuid.UUID
    probe: VideoProbe | None  # None: the video was refused, see reason
    reason: str | None = None


# --- creatives API ---


class CreativeCreated(BaseModel):
    creative_id: uuid.UUID
    workflow_id: str


class PerformanceReport(BaseModel):
    """Deltas since the last report; `event_id` makes a retried report count once."""

    event_id: Annotated[str, Field(min_length=1, max_length=200)]
    impressions: int = Field(0, ge=0, le=10**12)
    clicks: int = Field(0, ge=0, le=10**12)
    conversions: int = Field(0, ge=0, le=10**12)


class PerformanceTotals(BaseModel):
    creative_id: uuid.UUID
    counted: bool  # false when this event_id was already counted
    impressions: int
    clicks: int
    conversions: int


class ForceAnalyzeRequest(BaseModel):
    creative_id: uuid.UUID


class WorkflowSignalled(BaseModel):
    workflow_id: str


class VideoAccess(BaseModel):
    creative_id: uuid.UUID
    creative_name: str
    video_url: str
    is_public: bool
    expires_in: int | None  # seconds; None for a public URL


class AnalysisOut(BaseModel):
    id: uuid.UUID
    trigger: str
    model: str
    prompt_version: str
    frame_keys: list[str]
    frame_timestamps: list[float]
    result: dict[str, Any]
    tags: list[str]
    input_tokens: int
    output_tokens: int
    created_at: Any


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


# --- campaigns engine ---


class ScorePlatformInput(BaseModel):
    video_asset_id: uuid.UUID
    platform: str


class PlatformDecision(BaseModel):
    video_asset_id: uuid.UUID
    platform: str
    clip_id: uuid.UUID
    score: float
    breakdown: dict[str, float]
    weights_version: int
    spec_version: str
    num_candidates: int


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
    campaigns_created: list[DraftCampaign]
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


# --- video assets and clips ---


class VideoAssetCreated(BaseModel):
    video_asset_id: uuid.UUID
    workflow_id: str


class ClipOut(BaseModel):
    id: uuid.UUID
    video_asset_id: uuid.UUID
    status: str
    start_s: float
    end_s: float
    variant: str
    clip_key: str | None
    features: dict[str, Any]
    failure_reason: str | None


class ClipRegistration(BaseModel):
    """A clip cut by another tool, described by its features."""

    clip_id: uuid.UUID | None = None
    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    features: ClipFeatures


class PrepareClipsInput(BaseModel):
    video_asset_id: uuid.UUID
    video_key: str
    clips_bucket: str
    max_candidates: int = 8


class ShotsInput(BaseModel):
    video_key: str


class ShotsOutput(BaseModel):
    duration_s: float
    cut_times_s: list[float]
    width: int
    height: int


class CutClipInput(BaseModel):
    video_asset_id: uuid.UUID
    clip_id: uuid.UUID
    video_key: str
    clips_bucket: str
    start_s: float
    end_s: float
    vertical_crop: bool


class CutClipOutput(BaseModel):
    clip_key: str
    features: ClipFeatures


class AssetProbeInput(BaseModel):
    video_asset_id: uuid.UUID
    probe: VideoProbe | None
    reason: str | None = None


class ClipRecordInput(BaseModel):
    clip_id: uuid.UUID
    video_asset_id: uuid.UUID
    status: Literal["PENDING", "READY", "FAILED"]
    start_s: float
    end_s: float
    variant: str
    clip_key: str | None = None
    features: ClipFeatures | None = None
    failure_reason: str | None = None


class FinishAssetInput(BaseModel):
    video_asset_id: uuid.UUID
    ready: int
    failed: int


class PrepareClipsOutput(BaseModel):
    video_asset_id: uuid.UUID
    clips_ready: int
    clips_failed: int


# --- learning ---


# a campaign's results are reported exactly like a creative's
CampaignResultReport = PerformanceReport


class CampaignResults(BaseModel):
    campaign_id: uuid.UUID
    counted: bool
    impressions: int
    clicks: int
    conversions: int


class PatternKey(BaseModel):
    hook_type: str | None
    emotion: str | None
    pacing: str | None


class PatternRecommendation(BaseModel):
    rank: int
    pattern: PatternKey
    thompson_draw: float
    posterior_mean: float
    credible_interval_95: tuple[float, float]
    probability_best: float
    benchmark_pseudo_clicks: float = Field(description="market evidence after weight, age decay and credibility")
    client_clicks: float
    benchmark_credibility: float = Field(
        description="1 = the benchmark counts fully; lower once the client's own results contradict it"
    )
    rows: int


class Recommendations(BaseModel):
    product_category: str
    seed: int
    half_life_days: float
    items: list[PatternRecommendation]


class AllocateBudgetInput(BaseModel):
    video_asset_id: uuid.UUID
    daily_budget_cents: int
    campaign_ids: list[uuid.UUID]
    min_share: float
    half_life_days: float
    seed: int
    request_id: str


class BudgetAllocation(BaseModel):
    campaign_id: uuid.UUID
    platform: str
    budget_cents: int
    probability_best: float


class TrainRulesInput(BaseModel):
    platforms: list[str] = Field(default_factory=lambda: ["tiktok", "instagram", "youtube"])
    l2: float = 1.0
    min_improvement: float = 1e-4
    seed: int = 0


class TrainPlatformInput(BaseModel):
    platform: str
    l2: float
    min_improvement: float
    seed: int


class TrainPlatformOutput(BaseModel):
    platform: str
    improved: bool
    reason: str
    current_version: int
    new_version: int | None
    current_score: float | None
    candidate_score: float | None
    n_train: int
    n_test: int
    weights: dict[str, float]


class TrainRulesOutput(BaseModel):
    results: list[TrainPlatformOutput]


OrchestrateCampaignResponse.model_rebuild()
