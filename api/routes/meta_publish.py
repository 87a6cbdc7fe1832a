"""Publishing a draft campaign to Meta (202: PublishCampaignWorkflow runs on) and syncing insights (admin)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from temporalio.common import WorkflowIDConflictPolicy

from api.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from api.errors import Conflict, InvalidInput, NotFound
from api.routes.ad_accounts import owned_account
from api.routes.workflows import WorkflowRunning, workflow_url
from models.schemas.meta import PublishCampaignInput, PublishRequest
from models.tables import Campaign, VideoAsset
from workflows import search_attributes as sa
from workflows.publish_campaign import PublishCampaignWorkflow, publish_workflow_id
from workflows.queues import TASK_QUEUE_MAIN
from workflows.search_attributes import search_attributes

router = APIRouter(tags=["meta"])


def running(workflow_id: str) -> JSONResponse:
    url = workflow_url(workflow_id)
    body = WorkflowRunning(workflow_id=workflow_id, status_url=url)
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": url})


@router.post(
    "/campaigns/{campaign_id}/publish",
    status_code=202,
    response_model=WorkflowRunning,
    summary="Publish a draft to Meta: video, creative, campaign, ad set, ad (PAUSED unless status says ACTIVE)",
    responses={409: {"description": "already published, or the ad account needs reconnecting"}},
)
async def publish(
    campaign_id: uuid.UUID,
    body: PublishRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> JSONResponse:
    campaign = await session.get(Campaign, campaign_id)
    asset = await session.get(VideoAsset, campaign.video_asset_id) if campaign else None
    if campaign is None or asset is None or not (asset.owner_id == user.id or user.is_admin):
        raise NotFound("no such campaign")
    account = await owned_account(session, body.ad_account_id, user)
    if account.owner_id != asset.owner_id:
        raise NotFound("no such ad account")  # an admin may not publish one client's draft to another's account
    if account.status == "needs_reconnect":
        raise Conflict(f"the ad account needs reconnecting (POST /api/v1/ad-accounts again): {account.status_reason}")
    if campaign.status == "published":
        raise Conflict("the campaign is already published")
    if (body.daily_budget_cents or campaign.budget_cents) < 100:
        raise InvalidInput([{"field": "daily_budget_cents", "message": "at least 100 minor units"}])
    await session.commit()
    params = PublishCampaignInput(
        campaign_id=campaign.id,
        ad_account_id=account.id,
        message=body.message,
        link=str(body.link),
        call_to_action=body.call_to_action,
        targeting=body.targeting,
        promoted_object=body.promoted_object,
        daily_budget_cents=body.daily_budget_cents,
        status=body.status,
        objective=settings.meta_campaign_objective,
        billing_event=settings.meta_billing_event,
        optimization_goal=settings.meta_optimization_goal,
        video_poll_seconds=settings.meta_video_poll_seconds,
        video_ready_timeout_seconds=settings.meta_video_ready_timeout_seconds,
        frame_max_edge=settings.frame_max_edge,
    )
    handle = await temporal.start_workflow(
        PublishCampaignWorkflow.run,
        params,
        id=publish_workflow_id(campaign.id),
        task_queue=TASK_QUEUE_MAIN,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        memo={"owner_id": asset.owner_id, "campaign_id": str(campaign.id), "ad_account_id": str(account.id)},
        search_attributes=search_attributes({
            sa.OWNER: asset.owner_id, sa.VIDEO_ASSET_ID: asset.id, sa.PRODUCT_CATEGORY: asset.product_category,
            sa.PLATFORM: [campaign.platform], sa.AD_ACCOUNT: account.account_id,
        }),
    )  # fmt: skip
    return running(handle.id)
