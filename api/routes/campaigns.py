"""Campaign endpoints at campaigns-engine.md's paths (docs/contract/): orchestrate platforms, read a best clip."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError

from api.deps import CurrentUser, SessionDep, SettingsDep, TemporalDep
from api.errors import InvalidInput, NotFound
from api.routes.video_assets import owned_asset
from api.routes.workflows import STILL_RUNNING_RESPONSE, result_or_running
from domain.platforms import UnknownPlatform, parse_platform
from domain.selection import why_chosen
from models.schemas.campaigns import (
    BestClipOut,
    OrchestrateCampaignResponse,
    OrchestrateCampaignsInput,
    OrchestrateRequest,
    RunnerUp,
)
from models.tables import BestClipDecision, Clip
from workflows.orchestrate_campaigns import OrchestrateCampaignsWorkflow, orchestrate_workflow_id
from workflows.queues import TASK_QUEUE_MAIN
from workflows.search_attributes import OWNER, PLATFORM, PRODUCT_CATEGORY, VIDEO_ASSET_ID, search_attributes

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post(
    "/orchestrate",
    response_model=OrchestrateCampaignResponse,
    summary="Pick each platform's best READY clip and make draft campaigns (waits for the workflow, else 202)",
    responses=STILL_RUNNING_RESPONSE,
)
async def orchestrate(
    body: OrchestrateRequest, user: CurrentUser, session: SessionDep, settings: SettingsDep, temporal: TemporalDep
) -> OrchestrateCampaignResponse | JSONResponse:
    try:
        platforms = list(dict.fromkeys(parse_platform(name) for name in body.platforms))
    except UnknownPlatform as exc:
        raise InvalidInput([{"field": "platforms", "message": str(exc)}]) from None
    asset = await owned_asset(session, body.video_asset_id, user)
    ready = await session.scalar(
        select(func.count()).select_from(Clip).where(Clip.video_asset_id == asset.id, Clip.status == "READY")
    )
    if not ready:
        reason = "the video asset has no READY clip yet"
        if asset.status == "failed":
            reason = f"the video asset was refused: {asset.failure_reason}"
        elif asset.status == "pending":
            reason += " (its clips are still being prepared)"
        raise InvalidInput([{"field": "video_asset_id", "message": reason}])
    await session.commit()  # release the connection while the workflow runs
    request_id = body.request_id or uuid.uuid4().hex
    handle = await temporal.start_workflow(
        OrchestrateCampaignsWorkflow.run,
        OrchestrateCampaignsInput(
            video_asset_id=asset.id,
            platforms=platforms,
            request_id=request_id,
            daily_budget_cents=body.daily_budget_cents,
            budget_min_share=settings.budget_min_share,
            half_life_days=settings.benchmark_half_life_days,
        ),
        id=orchestrate_workflow_id(asset.id, request_id),
        task_queue=TASK_QUEUE_MAIN,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        memo={"owner_id": asset.owner_id, "video_asset_id": str(asset.id)},
        search_attributes=search_attributes(
            {
                OWNER: asset.owner_id,
                VIDEO_ASSET_ID: asset.id,
                PRODUCT_CATEGORY: asset.product_category,
                PLATFORM: platforms,
            }
        ),
    )
    try:
        return await result_or_running(handle, settings.api_workflow_wait_seconds)
    except WorkflowFailureError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) or isinstance(cause.__cause__, ApplicationError):
            application = cause if isinstance(cause, ApplicationError) else cause.__cause__
            raise InvalidInput([{"field": "video_asset_id", "message": str(application)}]) from None
        raise


@router.get("/best_clip", response_model=BestClipOut, summary="The current best clip of an asset for a platform")
async def best_clip(
    video_asset_id: Annotated[uuid.UUID, Query()],
    platform: Annotated[str, Query(max_length=20)],
    user: CurrentUser,
    session: SessionDep,
) -> BestClipOut:
    try:
        name = parse_platform(platform)
    except UnknownPlatform as exc:
        raise InvalidInput([{"field": "platform", "message": str(exc)}]) from None
    await owned_asset(session, video_asset_id, user)
    runner = aliased(Clip)
    row = (
        await session.execute(
            select(BestClipDecision, Clip, runner)
            .join(Clip, Clip.id == BestClipDecision.clip_id)
            .outerjoin(runner, runner.id == BestClipDecision.runner_up_clip_id)
            .where(BestClipDecision.video_asset_id == video_asset_id, BestClipDecision.platform == name)
        )
    ).first()
    if row is None:
        raise NotFound(f"no best-clip decision for {name} yet: orchestrate the asset first")
    decision, clip, second = row
    runner_up = None
    if decision.runner_up_clip_id is not None and decision.runner_up_score is not None:
        runner_up = RunnerUp(
            clip_id=decision.runner_up_clip_id,
            score=decision.runner_up_score,
            start_s=second.start_s if second else None,
            end_s=second.end_s if second else None,
            variant=second.variant if second else None,
            breakdown=decision.runner_up_breakdown or {},
        )
    return BestClipOut(
        video_asset_id=decision.video_asset_id,
        platform=decision.platform,
        clip_id=decision.clip_id,
        score=decision.score,
        breakdown=decision.breakdown,
        weights_version=decision.weights_version,
        spec_version=decision.spec_version,
        num_candidates=decision.num_candidates,
        start_s=clip.start_s,
        end_s=clip.end_s,
        variant=clip.variant,
        decided_at=decision.decided_at,
        runner_up=runner_up,
        # decisions recorded before runner-ups were kept explain nothing rather than something wrong
        why=why_chosen(decision.breakdown, decision.num_candidates, (runner_up.score, runner_up.breakdown))
        if runner_up is not None
        else ("the only READY candidate" if decision.num_candidates == 1 else None),
    )
