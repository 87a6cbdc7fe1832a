"""The audit trail: every decision, draft and budget move the system made, for the caller's own entities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep
from api.services.campaign_reads import ledger_page
from models.schemas.ledger import LedgerPage

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])


@router.get("", response_model=LedgerPage, summary="Ledger events of the caller's assets and campaigns (admins: all)")
async def ledger(
    user: CurrentUser,
    session: SessionDep,
    entity_id: Annotated[str | None, Query(max_length=100)] = None,
    event_type: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> LedgerPage:
    return await ledger_page(
        session,
        None if user.is_admin else user.id,
        entity_id=entity_id,
        event_type=event_type,
        limit=limit,
        offset=offset,
    )
