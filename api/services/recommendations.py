"""Pattern recommendations: the category's patterns ranked by a Thompson draw from each one's posterior."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from domain.bandit import credible_interval, probability_best, thompson_draw
from domain.posterior import pool_evidence
from models.evidence import as_pattern_row, evidence_rows
from models.schemas.learning import PatternKey, PatternRecommendation, Recommendations
from models.tables import PatternPerformance

Key = tuple[str | None, str | None, str | None]


def evidence_scope(client_id: str | None, all_clients: bool) -> str:
    """What a response's figures are made of, said in the response itself."""
    if all_clients:
        return "benchmarks + all clients (admin)"
    return f"benchmarks + client {client_id}" if client_id else "benchmarks only"


async def recommend(
    session: AsyncSession,
    product_category: str,
    client_id: str | None,
    *,
    all_clients: bool = False,
    limit: int,
    seed: int,
    half_life: float,
) -> Recommendations:
    """Rank the patterns `client_id` may learn about; the same seed gives the same ranking all day."""
    rows = await evidence_rows(session, product_category, client_id, all_clients=all_clients, labelled_only=True)
    groups: dict[Key, list[PatternPerformance]] = defaultdict(list)
    for row in rows:
        groups[(row.hook_type, row.emotion, row.pacing)].append(row)
    keys = sorted(groups, key=lambda key: tuple(part or "" for part in key))
    now = datetime.now(UTC)
    pooled = [pool_evidence([as_pattern_row(row, now) for row in groups[key]], half_life) for key in keys]
    posteriors = [evidence.posterior for evidence in pooled]
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
                rows=len(groups[keys[i]]),
            )
        )
    return Recommendations(
        product_category=product_category,
        seed=seed,
        half_life_days=half_life,
        evidence_scope=evidence_scope(client_id, all_clients),
        items=items,
    )
