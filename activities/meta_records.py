"""MetaRecordsActivities: the database side of publishing (the plan, the stored Meta ids, the ledger)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.campaigns import ledger
from activities.errors import typed_failures
from domain.failures import InvalidInput
from models.schemas.common import Done
from models.schemas.meta import PublishCampaignInput, PublishPlan, RecordPublishedInput, RecordPublishFailedInput
from models.tables import AdAccount, Campaign, Clip, Creative, VideoAsset
from storage.objects import ObjectRef

# our creative row of a published campaign has an id derived from the campaign: a retry makes the same one
PUBLISHED_CREATIVE_NAMESPACE = uuid.UUID("0c7d4f9e-3a61-4b8e-9d2f-5e1a7c3b8f40")
META_ID_COLUMNS = ("meta_video_id", "meta_creative_id", "meta_campaign_id", "meta_adset_id", "meta_ad_id")


def published_creative_id(campaign_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(PUBLISHED_CREATIVE_NAMESPACE, str(campaign_id))


def meta_names(campaign: Campaign) -> dict[str, str]:
    """Each object's name on Meta: deterministic (it is the idempotency key) and tagged with our campaign id."""
    tag = f"[ugc:{campaign.id}]"
    return {
        "video": f"{tag} clip {campaign.clip_id}",
        "adcreatives": f"{tag} creative",
        "campaigns": f"{campaign.name} {tag}",
        "adsets": f"{tag} ad set",
        "ads": f"{tag} ad",
    }


class MetaRecordsActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    @activity.defn
    @typed_failures
    async def prepare_publish(self, params: PublishCampaignInput) -> PublishPlan:
        """Check the draft, its clip and the account belong together; make the published clip's creative row."""
        async with self.sessionmaker.begin() as session:
            campaign = await session.get(Campaign, params.campaign_id, with_for_update=True)
            clip = await session.get(Clip, campaign.clip_id) if campaign else None
            asset = await session.get(VideoAsset, campaign.video_asset_id) if campaign else None
            account = await session.get(AdAccount, params.ad_account_id)
            if campaign is None or clip is None or asset is None:
                raise InvalidInput("no such campaign")
            if account is None or account.owner_id != asset.owner_id or account.status == "disconnected":
                raise InvalidInput("no such ad account")
            if clip.status != "READY" or not clip.clip_key:
                raise InvalidInput("the campaign's clip is not READY")
            budget = params.daily_budget_cents or campaign.budget_cents
            if budget < 100:
                raise InvalidInput("a daily budget of at least 100 minor units is needed (set daily_budget_cents)")
            features = clip.features or {}
            creative_id = published_creative_id(campaign.id)
            await session.execute(
                insert(Creative)
                .values(
                    id=creative_id, name=campaign.name[:200], owner_id=asset.owner_id, is_benchmark=False,
                    is_public=False, product_category=asset.product_category or "uncategorized",
                    source_platform="facebook", video_key=clip.clip_key, hook_type=features.get("hook_type"),
                    emotion=features.get("emotion"), pacing=features.get("pacing"),
                    duration_s=features.get("duration_s"), width=features.get("width"),
                    height=features.get("height"), has_audio=features.get("has_audio"), tags=[], status="ready",
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )  # fmt: skip
            values = {"ad_account_id": account.id, "creative_id": creative_id, "budget_cents": budget}
            if campaign.status in {"draft", "publish_failed"}:
                values["status"] = "publishing"
            await session.execute(update(Campaign).where(Campaign.id == campaign.id).values(**values))
            return PublishPlan(
                campaign_id=campaign.id,
                creative_id=creative_id,
                clip_key=clip.clip_key,
                page_id=account.page_id,
                daily_budget_cents=budget,
                frames_bucket=ObjectRef.parse(clip.clip_key).bucket,
                names=meta_names(campaign),
            )

    @activity.defn
    async def record_published(self, params: RecordPublishedInput) -> Done:
        """Store every Meta id on the campaign and ledger `campaign_published` once."""
        async with self.sessionmaker.begin() as session:
            values = {column: params.ids[column] for column in META_ID_COLUMNS if column in params.ids}
            await session.execute(
                update(Campaign)
                .where(Campaign.id == params.campaign_id)
                .values(**values, status="published", published_at=datetime.now(UTC))
            )
            meta = {"platform": "meta", "ad_account_id": str(params.ad_account_id), "status": params.status, **values}
            await ledger(
                session, "campaign_published", "campaign", params.campaign_id, meta,
                f"campaign_published:{params.campaign_id}:{values.get('meta_ad_id')}",
            )  # fmt: skip
        return Done()

    @activity.defn
    async def record_publish_failed(self, params: RecordPublishFailedInput) -> Done:
        """A publish that cannot go on: the draft shows why (and may be published again later)."""
        async with self.sessionmaker.begin() as session:
            campaign = await session.get(Campaign, params.campaign_id, with_for_update=True)
            if campaign is not None and campaign.status != "published":
                campaign.status = "publish_failed"
                campaign.optimization_meta = {
                    **(campaign.optimization_meta or {}),
                    "publish_error": params.reason[:1000],
                }
        return Done()
