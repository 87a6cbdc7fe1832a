"""The audit trail (social_sync_ledger) as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class LedgerEvent(BaseModel):
    id: int
    event_type: str
    entity_type: str
    entity_id: str
    # the row keeps it as `meta` (SQLAlchemy reserves `metadata`); the API and its client say `metadata`
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("meta", "metadata"))
    created_at: datetime


class LedgerPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": 42,
                            "event_type": "best_clip_selected",
                            "entity_type": "video_asset",
                            "entity_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                            "metadata": {
                                "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                                "platform": "tiktok",
                                "clip_id": "3c9e5a71-8b2d-4f60-a1e4-7d2b9c0f6e38",
                                "score": 0.87,
                            },
                            "created_at": "2026-11-30T14:05:09Z",
                        }
                    ],
                    "total": 1,
                    "limit": 50,
                    "offset": 0,
                }
            ]
        }
    )

    items: list[LedgerEvent]
    total: int
    limit: int
    offset: int
