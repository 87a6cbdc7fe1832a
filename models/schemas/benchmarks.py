"""Market benchmarks: what a user says about a winning ad, its ingest workflow's I/O, the public library."""

from __future__ import annotations

import math
import re
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from models.schemas.analysis import AnalysisOptions
from models.schemas.common import Label, ShortText
from models.schemas.media import StoredObject, VideoProbe

# where the ad was seen: market-ingestion.md's `facebook_ad_library` (docs/contract/), a platform, or any slug
KNOWN_SOURCES = (
    "facebook_ad_library", "tiktok_creative_center", "tiktok", "instagram", "youtube", "facebook",
    "meta", "snapchat", "pinterest", "linkedin", "google_ads_transparency", "other",
)  # fmt: skip
_SOURCE_SLUG = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


def normalized_source(value: str) -> str:
    """'Facebook Ad Library' / 'facebook-ad-library' → 'facebook_ad_library'; anything else not a slug is refused."""
    slug = re.sub(r"[\s\-.]+", "_", value.strip().lower()).strip("_")
    if not slug or len(slug) > 50 or not _SOURCE_SLUG.match(slug):
        raise ValueError(
            "must be a source slug of letters, digits and underscores (up to 50), e.g. " + ", ".join(KNOWN_SOURCES[:5])
        )
    return slug


SourcePlatform = Annotated[
    str,
    AfterValidator(normalized_source),
    Field(
        description="where the ad was seen, as a slug: " + ", ".join(KNOWN_SOURCES), examples=["facebook_ad_library"]
    ),
]


class BenchmarkFields(BaseModel):
    """What the user tells about a market-winning ad: `ingest_benchmark_video`'s arguments (docs/contract/)."""

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "video_url": "https://cdn.example.com/ads/glow-serum.mp4",
                    "creative_name": "Glow serum",
                    "product_category": "skincare",
                    "source_platform": "facebook_ad_library",
                    "market_cvr": 0.05,
                    "market_longevity_days": 30,
                    "avg_daily_clicks": 1000,
                    "hook_type": "question",
                    "emotion": "curiosity",
                    "pacing": "fast",
                    "target_audience_pain": "dull skin",
                }
            ]
        }
    )

    video_url: Annotated[str, Field(min_length=8, max_length=2000)]
    creative_id: uuid.UUID | None = Field(None, description="caller-made id; repeating it repeats nothing")

    @field_validator("video_url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("only http:// and https:// URLs are accepted")
        return value


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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "creative_id": "6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10",
                            "creative_name": "Glow serum",
                            "product_category": "skincare",
                            "source_platform": "facebook_ad_library",
                            "market_cvr": 0.05,
                            "market_longevity_days": 30,
                            "avg_daily_clicks": 1000.0,
                            "hook_type": "question",
                            "emotion": "curiosity",
                            "pacing": "fast",
                            "target_audience_pain": "dull skin",
                            "bayesian_alpha": 51.0,
                            "bayesian_beta": 951.0,
                            "prior_mean": 0.0509,
                            "video_url": "https://pub-0123456789abcdef.r2.dev/benchmarks/6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10.mp4",
                            "duration_s": 15.0,
                            "width": 1080,
                            "height": 1920,
                            "analysis_status": "done",
                        }
                    ],
                    "total": 1,
                    "limit": 20,
                    "offset": 0,
                }
            ]
        }
    )

    items: list[BenchmarkOut]
    total: int
    limit: int
    offset: int
