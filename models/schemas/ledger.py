"""The audit trail (social_sync_ledger) as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, Field


class LedgerEvent(BaseModel):
    id: int
    event_type: str
    entity_type: str
    entity_id: str
    # the row keeps it as `meta` (SQLAlchemy reserves `metadata`); the API and its client say `metadata`
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("meta", "metadata"))
    created_at: datetime


class LedgerPage(BaseModel):
    items: list[LedgerEvent]
    total: int
    limit: int
    offset: int
