"""Learning endpoints: pattern recommendations by Thompson Sampling, campaign results, rule training."""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query
from sqlalchemy import or_, select

from activities.learning import pattern_rows
from api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from api.reports import count_once
from domain.bandit import credible_interval, pool_evidence, probability_best, thompson_draw
from models.schemas.learning import (
    CampaignResultReport,
    CampaignResults,
    PatternKey,
    PatternRecommendation,
    Recommendations,
    TrainRulesInput,
    TrainRulesOutput,
)
from models.tables import Campaign, CampaignPerformanceEvent, PatternPerformance, VideoAsset
from workflows.queues import TASK_QUEUE_MAIN
from workflows.train_rules import TrainRulesWorkflow

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
) -> Recommendations:
    rows = (
        await session.scalars(
            select(PatternPerformance)
            .where(PatternPerformance.product_category == product_category)
            .where(
                or_(
                    PatternPerformance.hook_type.is_not(None),
                    PatternPerformance.emotion.is_not(None),
                    PatternPerformance.pacing.is_not(None),
                )
            )
            .order_by(PatternPerformance.id)
        )
    ).all()
    groups: dict[tuple[str | None, str | None, str | None], list[PatternPerformance]] = defaultdict(list)
    for row in rows:
        groups[(row.hook_type, row.emotion, row.pacing)].append(row)
    keys = sorted(groups, key=lambda key: tuple(part or "" for part in key))
    now = datetime.now(UTC)
    half_life = settings.benchmark_half_life_days
    decayable = [[pair[1] for pair in pattern_rows(groups[key], now)] for key in keys]
    pooled = [pool_evidence(group, half_life) for group in decayable]  # one credibility search per pattern
    posteriors = [evidence.posterior for evidence in pooled]
    seed = seed if seed is not None else secrets.randbits(63)
    rng = np.random.default_rng(seed)
    draws = thompson_draw(posteriors, rng) if posteriors else np.array([])
    p_best = probability_best(posteriors, rng) if posteriors else np.array([])
    order = sorted(range(len(keys)), key=lambda i: (-float(draws[i]), i))
    items = []
    for rank, i in enumerate(order[:limit], start=1):
        split = pooled[i].split()
        hook_type, emotion, pacing = keys[i]
        items.append(
            PatternRecommendation(
                rank=rank,
                pattern=PatternKey(hook_type=hook_type, emotion=emotion, pacing=pacing),
                thompson_draw=float(draws[i]),
                posterior_mean=posteriors[i].mean,
                credible_interval_95=credible_interval(posteriors[i]),
                probability_best=float(p_best[i]),
                benchmark_pseudo_clicks=split.get("benchmark", 0.0),
                client_clicks=split.get("client", 0.0),
                benchmark_credibility=split["benchmark_credibility"],
                rows=len(decayable[i]),
            )
        )
    return Recommendations(product_category=product_category, seed=seed, half_life_days=half_life, items=items)


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
    summary="Refit each platform's rule weights now (admin); also runs daily on a Temporal schedule",
)
async def train_rules(admin: AdminUser, settings: SettingsDep, temporal: TemporalDep) -> TrainRulesOutput:
    return await temporal.execute_workflow(
        TrainRulesWorkflow.run,
        TrainRulesInput(l2=settings.training_l2, min_improvement=settings.training_min_improvement),
        id=f"train-rules-manual-{uuid.uuid4().hex[:12]}",
        task_queue=TASK_QUEUE_MAIN,
        memo={"owner_id": admin.id},
    )
