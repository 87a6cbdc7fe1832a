"""Pattern evidence rows (pattern_performance): who may learn from which rows, and the client rows' writer.

A client learns from the public benchmark rows and its own client rows only; another client's results never
reach its recommendations, clip scores or budget split (nor any figure in a response).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.posterior import PatternRow, Source
from domain.prior import CLIENT_WEIGHT
from domain.selection import PatternEvidence
from models.tables import Creative, PatternPerformance
from models.upsert import upsert_row

# a pattern row has a stable id derived from its creative and source: a re-ingest or a new report updates it
PATTERN_ID_NAMESPACE = uuid.UUID("6f1b1c2e-5d7a-4f0e-9a43-2b8f3c1d9e10")


def pattern_row_id(creative_id: uuid.UUID, source: str) -> uuid.UUID:
    return uuid.uuid5(PATTERN_ID_NAMESPACE, f"{creative_id}:{source}")


def visible_to(client_id: str | None, *, all_clients: bool = False) -> ColumnElement[bool]:
    """Benchmark rows, plus the client rows of `client_id` (None: the benchmarks alone).

    `all_clients` (admin views only) pools every client's rows; it is a flag, never a client id, so no
    token subject can ask for it.
    """
    if all_clients:
        return PatternPerformance.source.in_(("benchmark", "client"))
    own = PatternPerformance.owner_id == client_id if client_id is not None else false()
    return or_(PatternPerformance.source == "benchmark", and_(PatternPerformance.source == "client", own))


async def evidence_rows(
    session: AsyncSession,
    product_category: str,
    client_id: str | None,
    *,
    all_clients: bool = False,
    labelled_only: bool = False,
) -> Sequence[PatternPerformance]:
    """The category's evidence `client_id` may learn from, in a stable order."""
    query = select(PatternPerformance).where(
        PatternPerformance.product_category == product_category, visible_to(client_id, all_clients=all_clients)
    )
    if labelled_only:
        query = query.where(
            or_(
                PatternPerformance.hook_type.is_not(None),
                PatternPerformance.emotion.is_not(None),
                PatternPerformance.pacing.is_not(None),
            )
        )
    return (await session.scalars(query.order_by(PatternPerformance.id))).all()


def age_in_days(then: datetime, now: datetime) -> float:
    """Whole days: decay changes once a day, so a seeded ranking is the same all day long."""
    return float(max(0, (now.date() - then.astimezone(UTC).date()).days))


def as_pattern_row(row: PatternPerformance, now: datetime) -> PatternRow:
    source: Source = "benchmark" if row.source == "benchmark" else "client"
    return PatternRow(source, row.bayesian_alpha, row.bayesian_beta, row.weight, age_in_days(row.updated_at, now))


def labelled(rows: Sequence[PatternPerformance], now: datetime) -> list[PatternEvidence]:
    """Each row with its pattern labels, to match a clip's pattern."""
    return [PatternEvidence(row.hook_type, row.emotion, row.pacing, as_pattern_row(row, now)) for row in rows]


async def record_client_evidence(session: AsyncSession, creative: Creative) -> None:
    """The creative's own results as its owner's evidence: Beta(1 + conversions, 1 + clicks − conversions)."""
    if creative.owner_id is None:
        return  # a benchmark's evidence is its market prior, written by its ingest
    values = {
        "id": pattern_row_id(creative.id, "client"),
        "creative_id": creative.id,
        "owner_id": creative.owner_id,
        "source": "client",
        "weight": CLIENT_WEIGHT,
        "hook_type": creative.hook_type,
        "emotion": creative.emotion,
        "pacing": creative.pacing,
        "product_category": creative.product_category,
        "bayesian_alpha": 1.0 + creative.conversions,
        "bayesian_beta": 1.0 + max(creative.clicks - creative.conversions, 0),
    }
    await upsert_row(session, PatternPerformance, values)
