"""Learning: campaign results, pattern recommendations, budget split, rule-weight training."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from domain.platforms import PLATFORMS
from models.schemas.common import PerformanceReport, ReportTotals

CampaignResultReport = PerformanceReport


class CampaignResults(ReportTotals):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "9a2f6c14-5e7b-4d83-b0a9-1f3e8c7d2b56",
                    "counted": True,
                    "impressions": 12000,
                    "clicks": 480,
                    "conversions": 19,
                }
            ]
        }
    )

    campaign_id: uuid.UUID


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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "product_category": "skincare",
                    "seed": 7,
                    "half_life_days": 180.0,
                    "evidence_scope": "benchmarks + client me",
                    "items": [
                        {
                            "rank": 1,
                            "pattern": {"hook_type": "question", "emotion": "curiosity", "pacing": "fast"},
                            "thompson_draw": 0.061,
                            "posterior_mean": 0.052,
                            "credible_interval_95": [0.041, 0.064],
                            "probability_best": 0.58,
                            "benchmark_pseudo_clicks": 1410.0,
                            "client_clicks": 300.0,
                            "benchmark_credibility": 1.0,
                            "rows": 4,
                        }
                    ],
                }
            ]
        }
    )

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
    platforms: list[str] = Field(default_factory=lambda: list[str](PLATFORMS))
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "platform": "tiktok",
                            "improved": True,
                            "reason": "held-out log-likelihood improved",
                            "current_version": 1,
                            "new_version": 2,
                            "current_score": -0.2113,
                            "candidate_score": -0.2051,
                            "n_train": 48,
                            "n_test": 12,
                            "weights": {
                                "aspect": 0.111,
                                "duration": 0.102,
                                "resolution": 0.111,
                                "audio": 0.111,
                                "pacing": 0.089,
                                "dynamic_start": 0.111,
                                "early_face": 0.111,
                                "loudness": 0.094,
                                "pattern_cvr": 0.046,
                            },
                        }
                    ]
                }
            ]
        }
    )

    results: list[TrainPlatformOutput]
