"""Learning: campaign results, pattern recommendations, budget split, rule-weight training."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from models.schemas.common import PerformanceReport

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
    client_clicks: float = Field(description="the caller's own clicks on this pattern (never another client's)")
    benchmark_credibility: float = Field(
        description="1 = the benchmark counts fully; lower once the client's own results contradict it"
    )
    rows: int


class Recommendations(BaseModel):
    product_category: str
    seed: int
    half_life_days: float
    evidence_scope: str = Field(
        "benchmarks only", description="whose evidence the figures use: the benchmarks and the caller's own results"
    )
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
