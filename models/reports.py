"""Result reports (creatives and campaigns): each `event_id` is counted once, however often it is sent.

The one writer of reported totals: the API's POSTed results and the Meta insights sync both count through it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.schemas.common import PerformanceReport


async def count_once(
    session: AsyncSession, events: Any, owner_column: str, target: Any, report: PerformanceReport
) -> bool:
    """Record the event and add its deltas to `target`'s totals; False (nothing added) for a repeat."""
    inserted = await session.scalar(
        insert(events)
        .values(
            {
                owner_column: target.id,
                "event_id": report.event_id,
                "impressions": report.impressions,
                "clicks": report.clicks,
                "conversions": report.conversions,
            }
        )
        .on_conflict_do_nothing(index_elements=[owner_column, "event_id"])
        .returning(events.id)
    )
    if inserted is None:
        return False
    target.impressions += report.impressions
    target.clicks += report.clicks
    target.conversions += report.conversions
    return True
