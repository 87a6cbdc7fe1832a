"""MetaBudgetActivities: after a sync, each video asset's published ad sets get the Thompson split of its budget.

The split is the one orchestration uses (activities.learning.campaign_posterior, domain.bandit); it reaches
Meta only when a share moves past the threshold and the ad set has changes left this hour
(domain.budget_moves), and every push is ledgered `budget_allocated` with the budget before and after.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.campaigns import ledger
from activities.errors import typed_failures
from activities.learning import campaign_posterior
from activities.meta import MetaActivities
from domain.bandit import probability_best, split_budget
from domain.budget_moves import budget_moves
from domain.rules import ClipFeatures
from models.evidence import evidence_rows, labelled
from models.schemas.common import Done
from models.schemas.meta import ApplyBudgetInput, BudgetMove, PlanBudgetsInput
from models.tables import Campaign, Clip, SocialSyncLedger, VideoAsset

PUSHED = "budget_allocated"


class MetaBudgetActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], meta: MetaActivities):
        self.sessionmaker = sessionmaker
        self.meta = meta

    async def _pushes_last_hour(self, session: AsyncSession, campaign: Campaign) -> int:
        since = datetime.now(UTC) - timedelta(hours=1)
        return (
            await session.scalar(
                select(func.count())
                .select_from(SocialSyncLedger)
                .where(
                    SocialSyncLedger.event_type == PUSHED,
                    SocialSyncLedger.entity_id == str(campaign.id),
                    SocialSyncLedger.created_at >= since,
                    SocialSyncLedger.meta["pushed"].as_boolean().is_(True),
                )
            )
            or 0
        )

    @activity.defn
    async def plan_budgets(self, params: PlanBudgetsInput) -> list[BudgetMove]:
        """Read-only: the moves the evidence asks for, per video asset with two or more published ad sets."""
        policy = params.policy
        rng = np.random.default_rng(params.seed)  # seeded by the workflow: a retry plans the same moves
        moves: list[BudgetMove] = []
        async with self.sessionmaker() as session:
            found = (
                await session.execute(
                    select(Campaign, Clip)
                    .join(Clip, Clip.id == Campaign.clip_id)
                    .where(
                        Campaign.ad_account_id == params.ad_account_id,
                        Campaign.status == "published",
                        Campaign.meta_adset_id.is_not(None),
                    )
                    .order_by(Campaign.video_asset_id, Campaign.id)
                )
            ).all()
            groups: dict[object, list[tuple[Campaign, Clip]]] = defaultdict(list)
            for campaign, clip in found:
                groups[campaign.video_asset_id].append((campaign, clip))
            for asset_id, members in groups.items():
                asset = await session.get(VideoAsset, asset_id)
                if asset is None or len(members) < 2:
                    continue
                # each campaign's own results enter through campaign_posterior; its creative's pattern row
                # holds the same results, so it is left out here rather than counted twice
                own = {campaign.creative_id for campaign, _ in members}
                evidence = await evidence_rows(session, asset.product_category or "", asset.owner_id)
                rows = labelled([r for r in evidence if r.creative_id not in own], datetime.now(UTC))
                posteriors = [
                    campaign_posterior(
                        ClipFeatures.model_validate(clip.features), rows, campaign, policy.half_life_days
                    )
                    for campaign, clip in members
                ]
                p_best = [float(p) for p in probability_best(posteriors, rng)]
                current = [campaign.budget_cents for campaign, _ in members]
                target = split_budget(sum(current), p_best, policy.min_share)
                may = [await self._pushes_last_hour(session, c) < policy.changes_per_hour for c, _ in members]
                after = budget_moves(current, target, policy.change_threshold, may)
                for (campaign, _), before, new, p in zip(members, current, after, p_best, strict=True):
                    if new != before:
                        moves.append(
                            BudgetMove(
                                campaign_id=campaign.id, video_asset_id=asset.id, adset_id=campaign.meta_adset_id or "",
                                before_cents=before, after_cents=new, probability_best=p,
                            )
                        )  # fmt: skip
        return moves

    @activity.defn
    @typed_failures
    async def apply_budget(self, params: ApplyBudgetInput) -> Done:
        """Set the ad set's daily budget on Meta (only if it differs), then store and ledger it once."""
        move = params.move
        async with self.meta.client(params.ad_account_id) as meta:
            if await meta.adset_budget(move.adset_id) != move.after_cents:
                await meta.set_adset_budget(move.adset_id, move.after_cents)
        async with self.sessionmaker.begin() as session:
            campaign = await session.get(Campaign, move.campaign_id, with_for_update=True)
            if campaign is not None:
                campaign.budget_cents = move.after_cents
            meta_fields = {
                "before_cents": move.before_cents, "after_cents": move.after_cents, "budget_cents": move.after_cents,
                "probability_best": move.probability_best, "adset_id": move.adset_id,
                "video_asset_id": str(move.video_asset_id), "pushed": True, "source": "meta_insights",
            }  # fmt: skip
            await ledger(session, PUSHED, "campaign", move.campaign_id, meta_fields,
                         f"{PUSHED}:{params.request_id}:{move.campaign_id}")  # fmt: skip
        return Done()
