"""Creative analysis: frames, the vision answer, the entity workflow's state, the API's view of an analysis."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from models.schemas.media import ProbeOutcome

FrameLabel = Literal["hook", "body", "cta"]


Unknown = Literal["unknown"]


class AnalysisOptions(BaseModel):
    """What the analysis workflow needs from settings (never secrets: inputs live in history)."""

    frame_timestamps: list[float] = Field(default_factory=lambda: [0.0, 3.0, 10.0])
    frame_max_edge: int = 1024
    idle_timeout_seconds: float = 7 * 24 * 3600
    # continue-as-new past this many events even if the server does not suggest it (tests lower it)
    max_history_events: int = 2_000


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
    analyses_done: int = 0  # successful analyses only: a failed one does not use up its trigger
    pending_force: int = 0  # runs before the coalescing rule may carry more than one
    failed_trigger: Literal["benchmark", "conversions", "force"] | None = None  # still owed after a failure
    failures: int = 0  # consecutive failed attempts at `failed_trigger`
    retry_at: datetime | None = None  # the next automatic retry; None once the retries are spent


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


class ProbeResultInput(ProbeOutcome):
    creative_id: uuid.UUID


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
