"""CampaignActivities: score a platform's clips, upsert the decision, make the draft campaign, ledger it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import INVALID_INPUT
from domain.platforms import UnknownPlatform, parse_platform
from domain.rules import DEFAULT_WEIGHTS, DEFAULT_WEIGHTS_VERSION, ClipFeatures, Weights
from domain.selection import select_best
from models.evidence import evidence_rows, labelled
from models.schemas.campaigns import (
    CreateCampaignInput,
    DraftCampaign,
    PlatformDecision,
    RecordDecisionInput,
    ScorePlatformInput,
)
from models.tables import (
    BestClipDecision,
    Campaign,
    Clip,
    RuleWeights,
    SocialSyncLedger,
    VideoAsset,
)
from models.upsert import upsert_row

NO_READY_CLIPS = "NoReadyClips"


def campaign_name(platform: str, video_asset_id: uuid.UUID) -> str:
    """The naming of docs/contract/campaigns-engine.md: "INSTAGRAM auto-campaign for <video_asset_id>"."""
    return f"{platform.upper()} auto-campaign for {video_asset_id}"


async def current_weights(session: AsyncSession, platform: str) -> Weights:
    """The newest weights version of a platform (the seeded version 1 when the table is empty)."""
    row = await session.scalar(
        select(RuleWeights).where(RuleWeights.platform == platform).order_by(RuleWeights.version.desc()).limit(1)
    )
    if row is None:
        return Weights(version=DEFAULT_WEIGHTS_VERSION, terms=DEFAULT_WEIGHTS[platform])
    return Weights(version=row.version, terms=row.terms)


async def ledger(session: AsyncSession, event: str, entity: str, entity_id: object, meta: dict, key: str) -> None:
    """Append an audit event once: the idempotency key makes a retried activity append nothing."""
    await session.execute(
        insert(SocialSyncLedger)
        .values(event_type=event, entity_type=entity, entity_id=str(entity_id), meta=meta, idempotency_key=key)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )


class CampaignActivities:
    """Database side of OrchestrateCampaignsWorkflow; the session factory is injected by the worker."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    @activity.defn
    async def score_platform(self, params: ScorePlatformInput) -> PlatformDecision:
        """Read-only: every READY clip of the asset scored for one platform; the best one wins."""
        try:
            platform = parse_platform(params.platform)
        except UnknownPlatform as exc:
            raise ApplicationError(str(exc), type=INVALID_INPUT, non_retryable=True) from None
        async with self.sessionmaker() as session:
            asset = await session.get(VideoAsset, params.video_asset_id)
            if asset is None:
                raise ApplicationError("no such video asset", type=INVALID_INPUT, non_retryable=True)
            clips = (
                await session.scalars(
                    select(Clip).where(Clip.video_asset_id == asset.id, Clip.status == "READY").order_by(Clip.id)
                )
            ).all()
            weights = await current_weights(session, platform)
            # the asset's owner learns from the market and its own results only
            rows = await evidence_rows(session, asset.product_category or "", asset.owner_id)
        if not clips:
            raise ApplicationError("the video asset has no READY clip", type=NO_READY_CLIPS, non_retryable=True)
        evidence = labelled(rows, datetime.now(UTC))
        candidates = [(str(clip.id), ClipFeatures.model_validate(clip.features)) for clip in clips]
        winner, score, count, runner_up = select_best(candidates, platform, weights, evidence, params.half_life_days)
        return PlatformDecision(
            video_asset_id=asset.id,
            platform=platform,
            clip_id=uuid.UUID(winner),
            score=score.total,
            breakdown=score.breakdown,
            weights_version=score.weights_version,
            spec_version=score.spec_version,
            num_candidates=count,
            runner_up_clip_id=uuid.UUID(runner_up[0]) if runner_up else None,
            runner_up_score=runner_up[1].total if runner_up else None,
            runner_up_breakdown=runner_up[1].breakdown if runner_up else None,
        )

    @activity.defn
    async def record_decision(self, params: RecordDecisionInput) -> PlatformDecision:
        """UPSERT on (video_asset_id, platform): a later run overwrites; ledger `best_clip_selected`."""
        d = params.decision
        values = {
            "id": uuid.uuid4(),
            "video_asset_id": d.video_asset_id,
            "platform": d.platform,
            "clip_id": d.clip_id,
            "score": d.score,
            "breakdown": d.breakdown,
            "weights_version": d.weights_version,
            "spec_version": d.spec_version,
            "num_candidates": d.num_candidates,
            "runner_up_clip_id": d.runner_up_clip_id,
            "runner_up_score": d.runner_up_score,
            "runner_up_breakdown": d.runner_up_breakdown,
        }
        async with self.sessionmaker.begin() as session:
            # UNIQUE (video_asset_id, platform): a later run overwrites the decision in place
            await upsert_row(
                session, BestClipDecision, {**values, "decided_at": func.now()}, keys=("video_asset_id", "platform")
            )
            decided_at = await session.scalar(
                select(BestClipDecision.decided_at).where(
                    BestClipDecision.video_asset_id == d.video_asset_id, BestClipDecision.platform == d.platform
                )
            )
            meta = {
                "platform": d.platform,
                "clip_id": str(d.clip_id),
                "score": d.score,
                "num_candidates": d.num_candidates,
                "weights_version": d.weights_version,
                "runner_up_clip_id": str(d.runner_up_clip_id) if d.runner_up_clip_id else None,
                "runner_up_score": d.runner_up_score,
            }
            key = f"best_clip_selected:{params.request_id}:{d.video_asset_id}:{d.platform}"
            await ledger(session, "best_clip_selected", "video_asset", d.video_asset_id, meta, key)
        return d.model_copy(update={"decided_at": decided_at})

    @activity.defn
    async def create_draft_campaign(self, params: CreateCampaignInput) -> DraftCampaign:
        """At most one draft per (asset, platform, clip): the same winner again returns the existing one."""
        d = params.decision
        meta = {"source": "auto_orchestrator", "score": d.score, "platform": d.platform}
        async with self.sessionmaker.begin() as session:
            created_id = await session.scalar(
                insert(Campaign)
                .values(
                    id=params.campaign_id,
                    video_asset_id=d.video_asset_id,
                    clip_id=d.clip_id,
                    platform=d.platform,
                    status="draft",
                    name=campaign_name(d.platform, d.video_asset_id),
                    budget_cents=0,
                    optimization_meta=meta,
                )
                .on_conflict_do_nothing(index_elements=["video_asset_id", "platform", "clip_id"])
                .returning(Campaign.id)
            )
            campaign = await session.scalar(
                select(Campaign).where(
                    Campaign.video_asset_id == d.video_asset_id,
                    Campaign.platform == d.platform,
                    Campaign.clip_id == d.clip_id,
                )
            )
            assert campaign is not None
            created = created_id is not None or campaign.id == params.campaign_id  # a retry of our own insert
            if created:
                ledger_meta = {
                    "platform": d.platform,
                    "clip_id": str(d.clip_id),
                    "video_asset_id": str(d.video_asset_id),
                    "score": d.score,
                }
                await ledger(
                    session,
                    "campaign_created_auto",
                    "campaign",
                    campaign.id,
                    ledger_meta,
                    f"campaign_created_auto:{campaign.id}",
                )
        return DraftCampaign(
            campaign_id=campaign.id,
            video_asset_id=campaign.video_asset_id,
            clip_id=campaign.clip_id,
            platform=campaign.platform,
            name=campaign.name,
            status=campaign.status,
            budget_cents=campaign.budget_cents,
            optimization_meta=campaign.optimization_meta,
            created=created,
        )
