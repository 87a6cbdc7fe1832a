"""The idempotent write every writer uses: INSERT ... ON CONFLICT DO UPDATE, so a retry writes the same row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


async def upsert_row(
    session: AsyncSession,
    table: Any,
    values: dict[str, Any],
    *,
    keys: tuple[str, ...] = ("id",),
    keep: frozenset[str] = frozenset(),
    only_if: ColumnElement[bool] | None = None,
) -> bool:
    """Insert, or update every other given column but `keep`; `only_if` guards which existing rows may change.

    True when a row was written (False: an existing row failed `only_if` and was left alone).
    """
    statement = insert(table).values(**values)
    fixed = {"id", *keys, *keep}
    updates: dict[str, Any] = {k: statement.excluded[k] for k in values if k not in fixed}
    if "updated_at" in table.__table__.c:
        updates["updated_at"] = func.now()
    upsert = statement.on_conflict_do_update(index_elements=list(keys), set_=updates, where=only_if)
    written = await session.execute(upsert.returning(table.__table__.c[keys[0]]))
    return written.first() is not None
