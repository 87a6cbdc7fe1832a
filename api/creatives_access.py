"""Who may see a creative: its owner, an admin, anyone signed in for a public benchmark; else 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import User
from api.errors import NotFound
from models.tables import Creative

# What video access needs of a creative, written with the table's own columns and compiled once for asyncpg:
# the hottest read of the API is this one query on a plain asyncpg pool (ReadPool). Through SQLAlchemy's
# async pool and execute layers (greenlet hops, checkout events, result processing) the same read costs
# about three times the CPU, and a session's transaction adds a BEGIN and a COMMIT.
_WATCHABLE = select(
    Creative.id, Creative.name, Creative.owner_id, Creative.is_public, Creative.is_benchmark, Creative.video_key
).where(Creative.id == bindparam("creative_id"), Creative.video_key.is_not(None), Creative.status != "failed")
_WATCHABLE_COMPILED = _WATCHABLE.compile(dialect=asyncpg_dialect())
WATCHABLE_SQL = str(_WATCHABLE_COMPILED)
_WATCHABLE_PARAMS = _WATCHABLE_COMPILED.params
_WATCHABLE_ORDER = list(_WATCHABLE_COMPILED.positiontup or ())


async def visible_creative(session: AsyncSession, creative_id: uuid.UUID, user: User) -> Creative:
    """The creative if this user may read it; another user's private one answers like a missing one."""
    creative = await session.get(Creative, creative_id)
    if creative is None:
        raise NotFound("no such creative")
    if creative.owner_id == user.id or user.is_admin or (creative.is_public and creative.is_benchmark):
        return creative
    raise NotFound("no such creative")


async def owned_creative(session: AsyncSession, creative_id: uuid.UUID, user: User) -> Creative:
    """The creative if this user owns it or is an admin (performance reports)."""
    creative = await session.get(Creative, creative_id, with_for_update=True)
    if creative is None or not (creative.owner_id == user.id or user.is_admin):
        raise NotFound("no such creative")
    return creative


@dataclass(frozen=True, slots=True)
class WatchableVideo:
    id: uuid.UUID
    name: str
    video_key: str
    public_benchmark: bool


async def watchable_video(pool: asyncpg.Pool, creative_id: uuid.UUID, user: User) -> WatchableVideo:
    """A video this user may watch: a public benchmark's, or their own; anyone else's (admins too), a
    refused or a missing one answers 404."""
    params = _WATCHABLE_PARAMS | {"creative_id": creative_id}
    row = await pool.fetchrow(WATCHABLE_SQL, *(params[name] for name in _WATCHABLE_ORDER))
    if row is None:
        raise NotFound("no such creative")
    public_benchmark = bool(row["is_public"] and row["is_benchmark"])
    if not public_benchmark and row["owner_id"] != user.id:
        raise NotFound("no such creative")
    return WatchableVideo(row["id"], row["name"], row["video_key"], public_benchmark)
