"""Who may see a creative: its owner, an admin, anyone signed in for a public benchmark; else 404."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import User
from api.errors import NotFound
from models.tables import Creative


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
