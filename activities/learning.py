"""LearningActivities: budget split by Thompson P(best), and rule-engine training from campaign results."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.campaigns import current_weights, ledger
from activities.errors import INVALID_INPUT
from domain.bandit import probability_best, split_budget
from domain.platforms import UnknownPlatform, parse_platform
from domain.posterior import BetaPosterior, PatternRow, pattern_posterior
from domain.rules import ClipFeatures
from domain.selection import PatternEvidence, pattern_matches
from domain.training import Observation, train_platform
from models.evidence import evidence_rows, labelled
from models.schemas.learning import AllocateBudgetInput, BudgetAllocation, TrainPlatformInput, TrainPlatformOutput
from models.tables import Campaign, Clip, RuleWeights, VideoAsset


def campaign_posterior(
    features: ClipFeatures, rows: list[PatternEvidence], campaign: Campaign, half_life_days: float
) -> BetaPosterior:
    """The clip pattern's evidence plus the campaign's own observed results."""
    matching = [row.evidence for row in rows if pattern_matches(row, features)]
    own = PatternRow(
        "client", 1.0 + campaign.conversions, 1.0 + max(campaign.clicks - campaign.conversions, 0), 1.0, 0.0
    )
    return pattern_posterior([*matching, own], half_life_days)


class LearningActivities:
    """Database reads and writes around the pure bandit and training code."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    @activity.defn
    async def allocate_budget(self, params: AllocateBudgetInput) -> list[BudgetAllocation]:
        """Split the daily budget by each draft's probability of being best, with a floor per campaign."""
        async with self.sessionmaker.begin() as session:
            asset = await session.get(VideoAsset, params.video_asset_id)
            found = (
                await session.execute(
                    select(Campaign, Clip)
                    .join(Clip, Clip.id == Campaign.clip_id)
                    .where(Campaign.id.in_(params.campaign_ids))
                    .order_by(Campaign.id)
                )
            ).all()
            # the asset's owner learns from the market and its own results only
            evidence = await evidence_rows(session, asset.product_category or "", asset.owner_id) if asset else []
            rows = labelled(evidence, datetime.now(UTC))
            posteriors = [
                campaign_posterior(ClipFeatures.model_validate(clip.features), rows, campaign, params.half_life_days)
                for campaign, clip in found
            ]
            # seeded from the request: a retried activity splits the budget exactly the same way
            p_best = probability_best(posteriors, np.random.default_rng(params.seed)) if posteriors else np.array([])
            shares = split_budget(params.daily_budget_cents, [float(p) for p in p_best], params.min_share)
            allocations = []
            for (campaign, _clip), cents, p in zip(found, shares, p_best, strict=True):
                await session.execute(update(Campaign).where(Campaign.id == campaign.id).values(budget_cents=cents))
                meta = {
                    "budget_cents": cents,
                    "probability_best": float(p),
                    "daily_budget_cents": params.daily_budget_cents,
                    "platform": campaign.platform,
                }
                await ledger(
                    session,
                    "budget_allocated",
                    "campaign",
                    campaign.id,
                    meta,
                    f"budget_allocated:{params.request_id}:{campaign.id}",
                )
                allocations.append(
                    BudgetAllocation(
                        campaign_id=campaign.id,
                        platform=campaign.platform,
                        budget_cents=cents,
                        probability_best=float(p),
                    )
                )
        return allocations

    @activity.defn
    async def train_platform_weights(self, params: TrainPlatformInput) -> TrainPlatformOutput:
        """Fit one platform's weights on its campaigns' results; store a version only if it wins held-out."""
        try:
            platform = parse_platform(params.platform)
        except UnknownPlatform as exc:
            raise ApplicationError(str(exc), type=INVALID_INPUT, non_retryable=True) from None
        async with self.sessionmaker.begin() as session:
            current = await current_weights(session, platform)
            found = (
                await session.execute(
                    select(Campaign, Clip)
                    .join(Clip, Clip.id == Campaign.clip_id)
                    .where(Campaign.platform == platform, Campaign.clicks > 0)
                    .order_by(Campaign.id)
                )
            ).all()
            observations = [
                Observation(
                    ClipFeatures.model_validate(clip.features),
                    campaign.clicks,
                    min(campaign.conversions, campaign.clicks),
                )
                for campaign, clip in found
            ]
            result = train_platform(
                observations,
                platform,
                current,
                np.random.default_rng(params.seed),
                l2=params.l2,
                min_improvement=params.min_improvement,
            )
            new_version = None
            if result.improved and result.candidate is not None:
                new_version = result.candidate.version
                # (platform, version) is unique: a retried activity cannot store the same version twice
                exists = await session.scalar(
                    select(RuleWeights.id).where(RuleWeights.platform == platform, RuleWeights.version == new_version)
                )
                if exists is None:
                    session.add(
                        RuleWeights(
                            platform=platform,
                            version=new_version,
                            terms=dict(result.candidate.terms),
                            source="trained",
                            metrics={
                                "current_score": result.current_score,
                                "candidate_score": result.candidate_score,
                                "n_train": result.n_train,
                                "n_test": result.n_test,
                                "trained_at": datetime.now(UTC).isoformat(),
                            },
                        )
                    )
        chosen = result.candidate if new_version is not None and result.candidate is not None else current
        return TrainPlatformOutput(
            platform=platform,
            improved=new_version is not None,
            reason=result.reason,
            current_version=current.version,
            new_version=new_version,
            current_score=result.current_score,
            candidate_score=result.candidate_score,
            n_train=result.n_train,
            n_test=result.n_test,
            weights=dict(chosen.terms),
        )
