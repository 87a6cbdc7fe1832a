"""Reading what the system made for a client: its campaigns, each with its clip and decision, and its ledger.

Every query is scoped by the owner of the video asset behind a row; an admin (owner None) sees all.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from models.schemas.campaign_reads import CampaignOut, CampaignPage, VideoAssetOut
from models.schemas.campaigns import BestClipOut
from models.schemas.ledger import LedgerEvent, LedgerPage
from models.tables import BestClipDecision, Campaign, Clip, SocialSyncLedger, VideoAsset


def _owned_assets(owner_id: str | None) -> ColumnElement[bool]:
    return VideoAsset.owner_id == owner_id if owner_id is not None else true()


def _campaign_out(campaign: Campaign, clip: Clip | None, decision: BestClipDecision | None) -> CampaignOut:
    meta: dict[str, Any] = campaign.optimization_meta or {}
    return CampaignOut(
        **{column: getattr(campaign, column) for column in CampaignOut.model_fields if hasattr(Campaign, column)},
        clip_start_s=clip.start_s if clip else None,
        clip_end_s=clip.end_s if clip else None,
        clip_variant=clip.variant if clip else None,
        decision=_decision_out(decision, clip) if decision is not None and clip is not None else None,
        external_ids={k: str(v) for k, v in (meta.get("external_ids") or {}).items()} | _meta_ids(campaign),
    )


META_ID_COLUMNS = ("meta_video_id", "meta_creative_id", "meta_campaign_id", "meta_adset_id", "meta_ad_id")


def _meta_ids(campaign: Campaign) -> dict[str, str]:
    """The ids PublishCampaignWorkflow stored, under their column names."""
    return {column: value for column in META_ID_COLUMNS if (value := getattr(campaign, column, None))}


def _decision_out(decision: BestClipDecision, clip: Clip) -> BestClipOut:
    return BestClipOut(
        video_asset_id=decision.video_asset_id, platform=decision.platform, clip_id=decision.clip_id,
        score=decision.score, breakdown=decision.breakdown, weights_version=decision.weights_version,
        spec_version=decision.spec_version, num_candidates=decision.num_candidates, start_s=clip.start_s,
        end_s=clip.end_s, variant=clip.variant, decided_at=decision.decided_at,
    )  # fmt: skip


def _campaigns_query(owner_id: str | None) -> Any:
    decision = and_(
        BestClipDecision.video_asset_id == Campaign.video_asset_id, BestClipDecision.platform == Campaign.platform
    )
    return (
        select(Campaign, Clip, BestClipDecision)
        .join(VideoAsset, VideoAsset.id == Campaign.video_asset_id)
        .outerjoin(Clip, Clip.id == Campaign.clip_id)
        .outerjoin(BestClipDecision, decision)
        .where(_owned_assets(owner_id))
    )


async def list_campaigns(
    session: AsyncSession,
    owner_id: str | None,
    *,
    video_asset_id: uuid.UUID | None,
    platform: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> CampaignPage:
    filters = [
        condition
        for condition, wanted in (
            (Campaign.video_asset_id == video_asset_id, video_asset_id),
            (Campaign.platform == platform, platform),
            (Campaign.status == status, status),
        )
        if wanted is not None
    ]
    query = _campaigns_query(owner_id).where(*filters)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = (
        await session.execute(query.order_by(Campaign.created_at.desc(), Campaign.id).limit(limit).offset(offset))
    ).all()
    return CampaignPage(items=[_campaign_out(*row) for row in rows], total=total or 0, limit=limit, offset=offset)


async def campaign_detail(session: AsyncSession, owner_id: str | None, campaign_id: uuid.UUID) -> CampaignOut | None:
    row = (await session.execute(_campaigns_query(owner_id).where(Campaign.id == campaign_id))).first()
    return _campaign_out(*row) if row is not None else None


def _owned_entities(owner_id: str) -> ColumnElement[bool]:
    """Ledger rows about the owner's video assets or their campaigns (entity ids are stored as text)."""
    asset = exists().where(VideoAsset.owner_id == owner_id, cast(VideoAsset.id, String) == SocialSyncLedger.entity_id)
    campaign = exists().where(
        Campaign.video_asset_id == VideoAsset.id,
        VideoAsset.owner_id == owner_id,
        cast(Campaign.id, String) == SocialSyncLedger.entity_id,
    )
    return or_(
        and_(SocialSyncLedger.entity_type == "video_asset", asset),
        and_(SocialSyncLedger.entity_type == "campaign", campaign),
    )


async def ledger_page(
    session: AsyncSession,
    owner_id: str | None,
    *,
    entity_id: str | None,
    event_type: str | None,
    limit: int,
    offset: int,
) -> LedgerPage:
    query = select(SocialSyncLedger)
    if owner_id is not None:
        query = query.where(_owned_entities(owner_id))
    if entity_id is not None:
        query = query.where(SocialSyncLedger.entity_id == entity_id)
    if event_type is not None:
        query = query.where(SocialSyncLedger.event_type == event_type)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(SocialSyncLedger.id.desc()).limit(limit).offset(offset))
    return LedgerPage(
        items=[LedgerEvent.model_validate(row, from_attributes=True) for row in rows],
        total=total or 0,
        limit=limit,
        offset=offset,
    )


async def asset_detail(session: AsyncSession, asset: VideoAsset) -> VideoAssetOut:
    """An asset's status and reason, its clips by status, and its current decision per platform."""
    counts = dict(
        (
            await session.execute(
                select(Clip.status, func.count()).where(Clip.video_asset_id == asset.id).group_by(Clip.status)
            )
        ).all()
    )
    decisions = (
        await session.execute(
            select(BestClipDecision, Clip)
            .join(Clip, Clip.id == BestClipDecision.clip_id)
            .where(BestClipDecision.video_asset_id == asset.id)
            .order_by(BestClipDecision.platform)
        )
    ).all()
    return VideoAssetOut(
        id=asset.id, name=asset.name, product_category=asset.product_category, status=asset.status,
        failure_reason=asset.failure_reason, original_filename=asset.original_filename, duration_s=asset.duration_s,
        width=asset.width, height=asset.height, has_audio=asset.has_audio, created_at=asset.created_at,
        clips_total=sum(counts.values()), clips_ready=counts.get("READY", 0), clips_failed=counts.get("FAILED", 0),
        decisions=[_decision_out(decision, clip) for decision, clip in decisions],
    )  # fmt: skip
