"""Learning endpoints: pattern recommendations by Thompson Sampling, campaign results, rule training."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from api.reports import count_once
from api.routes.workflows import STILL_RUNNING_RESPONSE, result_or_running
from api.services.recommendations import recommend
from models.schemas.learning import (
    CampaignResultReport,
    CampaignResults,
    Recommendations,
    TrainRulesInput,
    TrainRulesOutput,
)
from models.tables import Campaign, CampaignPerformanceEvent, VideoAsset
from workflows.queues import TASK_QUEUE_MAIN
from workflows.search_attributes import OWNER, TRIGGER, search_attributes
from workflows.train_rules import TrainRulesWorkflow

ALL_CLIENTS = "all"  # the admin-only client_id that pools every client, labelled so in the answer

router = APIRouter(tags=["learning"])


@router.get(
    "/api/v1/patterns/recommendations",
    response_model=Recommendations,
    summary="Creative patterns ranked by a Thompson draw, with posterior mean, 95 % interval and P(best)",
)
async def recommendations(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    product_category: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    seed: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="same seed, same ranking")] = None,
    client_id: Annotated[
        str | None,
        Query(max_length=200, description="admin only: rank for this client, or 'all' to pool every client"),
    ] = None,
) -> Recommendations:
    # a client learns from the benchmarks and its own results; only an admin may look through another's eyes
    pooled = user.is_admin and client_id == ALL_CLIENTS
    scope = None if pooled else client_id if user.is_admin and client_id else user.id
    return await recommend(
        session,
        product_category,
        scope,
        all_clients=pooled,
        limit=limit,
        seed=seed if seed is not None else secrets.randbits(63),
        half_life=settings.benchmark_half_life_days,
    )


@router.post(
    "/campaigns/{campaign_id}/performance",
    response_model=CampaignResults,
    summary="Report a campaign's results (deltas); what rule-engine training learns from",
)
async def campaign_results(
    campaign_id: uuid.UUID, report: CampaignResultReport, user: CurrentUser, session: SessionDep
) -> CampaignResults:
    campaign = await session.get(Campaign, campaign_id, with_for_update=True)
    asset = await session.get(VideoAsset, campaign.video_asset_id) if campaign else None
    if campaign is None or asset is None or not (asset.owner_id == user.id or user.is_admin):
        raise NotFound("no such campaign")
    counted = await count_once(session, CampaignPerformanceEvent, "campaign_id", campaign, report)
    return CampaignResults(
        campaign_id=campaign.id,
        counted=counted,
        impressions=campaign.impressions,
        clicks=campaign.clicks,
        conversions=campaign.conversions,
    )


@router.post(
    "/api/v1/rules/train",
    response_model=TrainRulesOutput,
    summary="Refit each platform's rule weights now (admin; waits for the workflow, else 202); also runs daily",
    responses=STILL_RUNNING_RESPONSE,
)
async def train_rules(
    admin: AdminUser, settings: SettingsDep, temporal: TemporalDep
) -> TrainRulesOutput | JSONResponse:
    handle = await temporal.start_workflow(
        TrainRulesWorkflow.run,
        TrainRulesInput(l2=settings.training_l2, min_improvement=settings.training_min_improvement),
        id=f"train-rules-manual-{uuid.uuid4().hex[:12]}",
        task_queue=TASK_QUEUE_MAIN,
        memo={"owner_id": admin.id},
        search_attributes=search_attributes({OWNER: admin.id, TRIGGER: "manual"}),
    )
    return await result_or_running(handle, settings.api_workflow_wait_seconds)
