"""Publishing to Meta and syncing its insights: the API's request and the workflows' and activities' I/O.

No access token is ever a field here: activities load it by ad account id (inputs are recorded in history).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

DEFAULT_TARGETING: dict[str, Any] = {"geo_locations": {"countries": ["US"]}, "age_min": 18}
MetaEdge = Literal["campaigns", "adsets", "ads", "adcreatives"]


class PublishRequest(BaseModel):
    """How a draft goes to Meta; everything starts PAUSED unless `status` says ACTIVE."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ad_account_id": "5b0f6a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
                    "message": "Glow in 7 days or your money back",
                    "link": "https://shop.example.com/glow-serum",
                    "call_to_action": "SHOP_NOW",
                    "targeting": {"geo_locations": {"countries": ["US"]}, "age_min": 25},
                    "daily_budget_cents": 5000,
                    "status": "PAUSED",
                }
            ]
        }
    )

    ad_account_id: uuid.UUID
    message: str = Field("", max_length=2000, description="the ad's primary text")
    link: HttpUrl = Field(description="where the call to action leads")
    call_to_action: str = Field("SHOP_NOW", pattern=r"^[A-Z_]{2,40}$")
    targeting: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_TARGETING))
    promoted_object: dict[str, Any] | None = Field(None, description="e.g. {pixel_id, custom_event_type}")
    daily_budget_cents: int | None = Field(
        None, ge=100, le=10**9, description="minor units; default: the draft's budget"
    )
    status: Literal["PAUSED", "ACTIVE"] = "PAUSED"


class PublishCampaignInput(BaseModel):
    campaign_id: uuid.UUID
    ad_account_id: uuid.UUID
    message: str
    link: str
    call_to_action: str
    targeting: dict[str, Any]
    promoted_object: dict[str, Any] | None = None
    daily_budget_cents: int | None = None
    status: Literal["PAUSED", "ACTIVE"] = "PAUSED"
    objective: str = "OUTCOME_SALES"
    billing_event: str = "IMPRESSIONS"
    optimization_goal: str = "LINK_CLICKS"
    video_poll_seconds: float = 10.0
    video_ready_timeout_seconds: float = 7200.0
    frame_max_edge: int = 1024


class PublishPlan(BaseModel):
    """What the publish needs from the database, and the deterministic names each Meta object gets."""

    campaign_id: uuid.UUID
    creative_id: uuid.UUID  # our creative row for the published clip: its results feed the client's evidence
    clip_key: str
    page_id: str
    daily_budget_cents: int
    frames_bucket: str
    names: dict[str, str]  # video, adcreatives, campaigns, adsets, ads


class MetaUploadInput(BaseModel):
    ad_account_id: uuid.UUID
    key: str  # r2://bucket/key of the clip
    title: str


class MetaImageInput(BaseModel):
    ad_account_id: uuid.UUID
    key: str
    name: str


class MetaVideoStatusInput(BaseModel):
    ad_account_id: uuid.UUID
    video_id: str


class MetaEnsureInput(BaseModel):
    ad_account_id: uuid.UUID
    edge: MetaEdge
    name: str
    fields: dict[str, Any]


class MetaObjectRef(BaseModel):
    id: str
    created: bool


class RecordPublishedInput(BaseModel):
    campaign_id: uuid.UUID
    ad_account_id: uuid.UUID
    ids: dict[str, str]
    status: str


class RecordPublishFailedInput(BaseModel):
    campaign_id: uuid.UUID
    reason: str


class PublishCampaignOutput(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "9a2f6c14-5e7b-4d83-b0a9-1f3e8c7d2b56",
                    "status": "PAUSED",
                    "ids": {
                        "meta_video_id": "23850000000002",
                        "meta_creative_id": "23850000000005",
                        "meta_campaign_id": "23850000000006",
                        "meta_adset_id": "23850000000007",
                        "meta_ad_id": "23850000000008",
                    },
                    "created": ["meta_creative_id", "meta_campaign_id", "meta_adset_id", "meta_ad_id"],
                }
            ]
        }
    )

    campaign_id: uuid.UUID
    status: str
    ids: dict[str, str]
    created: list[str] = Field(default_factory=list, description="objects this run made (the rest were found)")


class BudgetPolicy(BaseModel):
    """How budgets follow the evidence after a sync (from settings when the sync was scheduled)."""

    min_share: float = 0.1
    change_threshold: float = 0.05
    changes_per_hour: int = 4
    half_life_days: float = 180.0


class SyncInsightsInput(BaseModel):
    ad_account_id: uuid.UUID
    lookback_days: int = 28
    poll_seconds: float = 5.0
    page_size: int = 100
    frames_bucket: str = "client-assets"
    vision_backend: str = "local"
    analysis: dict[str, Any] = Field(
        default_factory=dict, description="AnalysisOptions, as a creative's workflow takes"
    )
    budget: BudgetPolicy | None = Field(default_factory=BudgetPolicy, description="None: leave budgets alone")


class StartInsightsInput(BaseModel):
    ad_account_id: uuid.UUID
    since: str
    until: str


class ReportStatusInput(BaseModel):
    ad_account_id: uuid.UUID
    report_run_id: str


class ReportState(BaseModel):
    status: str
    percent: int
    done: bool
    failed: bool


class SyncPageInput(BaseModel):
    ad_account_id: uuid.UUID
    report_run_id: str
    after: str | None = None
    page_size: int = 100


class CreativeConversions(BaseModel):
    creative_id: uuid.UUID
    conversions: int
    video_key: str


class SyncPageOutput(BaseModel):
    next_after: str | None
    rows: int
    days_changed: int
    campaign_ids: list[uuid.UUID] = Field(default_factory=list)
    creatives: list[CreativeConversions] = Field(default_factory=list)


class NotifyCreativesInput(BaseModel):
    creatives: list[CreativeConversions]
    frames_bucket: str
    vision_backend: str
    analysis: dict[str, Any]


class FinishSyncInput(BaseModel):
    ad_account_id: uuid.UUID
    report_run_id: str
    rows: int
    days_changed: int


class PlanBudgetsInput(BaseModel):
    ad_account_id: uuid.UUID
    policy: BudgetPolicy
    seed: int


class BudgetMove(BaseModel):
    campaign_id: uuid.UUID
    video_asset_id: uuid.UUID
    adset_id: str
    before_cents: int
    after_cents: int
    probability_best: float


class ApplyBudgetInput(BaseModel):
    ad_account_id: uuid.UUID
    move: BudgetMove
    request_id: str


class SyncInsightsOutput(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ad_account_id": "5b0f6a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
                    "report_run_id": "23850000000042",
                    "since": "2026-11-03",
                    "until": "2026-12-01",
                    "rows": 12,
                    "days_changed": 3,
                    "campaigns": 2,
                    "budgets": [],
                }
            ]
        }
    )

    ad_account_id: uuid.UUID
    report_run_id: str
    since: str
    until: str
    rows: int
    days_changed: int
    campaigns: int
    budgets: list[BudgetMove] = Field(default_factory=list, description="budget moves pushed to Meta")
