"""Reading campaigns: a client's draft (and later published) campaigns, listed or one by one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep
from api.errors import NotFound
from api.services.campaign_reads import campaign_detail, list_campaigns
from models.schemas.campaign_reads import CampaignOut, CampaignPage

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get("", response_model=CampaignPage, summary="The caller's campaigns, newest first (admins: everyone's)")
async def campaigns(
    user: CurrentUser,
    session: SessionDep,
    video_asset_id: Annotated[uuid.UUID | None, Query()] = None,
    platform: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CampaignPage:
    return await list_campaigns(
        session,
        None if user.is_admin else user.id,
        video_asset_id=video_asset_id,
        platform=platform.lower() if platform else None,
        status=status,
        limit=limit,
        offset=offset,
    )


@router.get("/{campaign_id}", response_model=CampaignOut, summary="One campaign: clip, decision, budget, results")
async def campaign(campaign_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> CampaignOut:
    found = await campaign_detail(session, None if user.is_admin else user.id, campaign_id)
    if found is None:
        raise NotFound("no such campaign")
    return found
