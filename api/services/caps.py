"""Per-client daily caps (uploads, uploaded bytes, paid analyses): one atomic counter row per (client, day, kind)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import User
from api.errors import TooManyRequests
from domain.triggers import CONVERSIONS_TO_ANALYZE
from models.tables import Creative, CreativeAnalysis, UsageCounter
from settings import Settings

UPLOAD = "upload"
ANALYSIS = "analysis"


def _today() -> date:
    return datetime.now(UTC).date()


def seconds_until_reset(now: datetime | None = None) -> int:
    """Seconds until the next UTC midnight, when every daily cap starts afresh."""
    now = now or datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return max(1, math.ceil((midnight - now).total_seconds()))


async def _add(session: AsyncSession, owner_id: str, kind: str, count: int, nbytes: int) -> tuple[int, int]:
    """Add to today's row (made on first use) and return its new totals, in one statement."""
    values = insert(UsageCounter).values(owner_id=owner_id, day=_today(), kind=kind, count=count, bytes_total=nbytes)
    statement = values.on_conflict_do_update(
        index_elements=["owner_id", "day", "kind"],
        set_={
            "count": UsageCounter.count + values.excluded.count,
            "bytes_total": UsageCounter.bytes_total + values.excluded.bytes_total,
        },
    ).returning(UsageCounter.count, UsageCounter.bytes_total)
    row = (await session.execute(statement)).one()
    return int(row[0]), int(row[1])


async def _charge(
    session: AsyncSession, user: User, kind: str, *, limit: int, nbytes: int = 0, bytes_limit: int | None = None
) -> None:
    """Count one use; past a cap nothing is counted (the savepoint rolls back) and the caller gets 429."""
    if user.is_admin:
        return
    async with session.begin_nested():
        count, total_bytes = await _add(session, user.id, kind, 1, nbytes)
        if count > limit:
            raise TooManyRequests(f"the daily limit of {limit} {kind}s per client is used up", seconds_until_reset())
        if bytes_limit is not None and total_bytes > bytes_limit:
            raise TooManyRequests(
                f"the daily limit of {bytes_limit} uploaded bytes per client would be passed", seconds_until_reset()
            )


async def charge_upload(session: AsyncSession, settings: Settings, user: User, size_bytes: int) -> None:
    """Count an upload of `size_bytes` (declared; 0 when unknown) before a byte of it is read.

    Committed at once: an upload is counted when it starts (a refused file still used its slot), and no
    row lock is held while the bytes arrive.
    """
    await _charge(
        session,
        user,
        UPLOAD,
        limit=settings.daily_uploads_per_client,
        nbytes=size_bytes,
        bytes_limit=settings.daily_upload_bytes_per_client,
    )
    await session.commit()


async def correct_upload_bytes(session: AsyncSession, user: User, declared: int, stored: int) -> None:
    """Replace the declared size counted at the start by the size really stored (a body had no length,
    or its length included the form around the file)."""
    if not user.is_admin and stored != declared:
        await _add(session, user.id, UPLOAD, 0, stored - declared)


async def charge_analysis(session: AsyncSession, settings: Settings, user: User) -> None:
    """Count a paid analysis a client's request is about to cause (429 past the daily cap)."""
    await _charge(session, user, ANALYSIS, limit=settings.daily_analyses_per_client)


async def charge_conversion_analysis(
    session: AsyncSession, settings: Settings, user: User, creative: Creative, conversions_before: int
) -> None:
    """The report that brings a client creative to its analysis threshold starts a paid analysis: count it."""
    if creative.is_benchmark or creative.status == "failed":
        return
    if not conversions_before < CONVERSIONS_TO_ANALYZE <= creative.conversions:
        return
    analyses = await session.scalar(
        select(func.count()).select_from(CreativeAnalysis).where(CreativeAnalysis.creative_id == creative.id)
    )
    if not analyses:  # the conversion trigger fires once, and not after an analysis was already made
        await charge_analysis(session, settings, user)
