"""The audit trail (social_sync_ledger) as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class LedgerEvent(BaseModel):
    id: int
    event_type: str
    entity_type: str
    entity_id: str
    metadata: dict[str, Any] = Field(validation_alias="meta")
    created_at: datetime


class LedgerPage(BaseModel):
    items: list[LedgerEvent]
    total: int
    limit: int
    offset: int
