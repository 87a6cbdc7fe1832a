"""Connected ad accounts as the API takes and shows them: the access token goes in, never out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

AD_ACCOUNT_ID = r"^(act_)?[0-9]{1,20}$"


class AdAccountConnect(BaseModel):
    """Connect (or reconnect, with a fresh token) a Meta ad account and the Facebook page its ads run as."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": "act_1234567890",
                    "page_id": "102938475610",
                    "access_token": "EAAB...a-long-lived-system-user-token",
                    "name": "Glow serum US",
                }
            ]
        }
    )

    account_id: Annotated[str, Field(pattern=AD_ACCOUNT_ID, description="act_<digits> or the digits alone")]
    page_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
    # SecretStr: never in a repr, a log line or a validation error
    access_token: Annotated[SecretStr, Field(min_length=8, max_length=2000)]
    name: Annotated[str | None, Field(max_length=200)] = None

    @field_validator("account_id")
    @classmethod
    def _with_prefix(cls, value: str) -> str:
        return value if value.startswith("act_") else f"act_{value}"


class AdAccountOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0f6a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
                    "platform": "meta",
                    "account_id": "act_1234567890",
                    "page_id": "102938475610",
                    "name": "Glow serum US",
                    "status": "connected",
                    "status_reason": None,
                    "last_synced_at": None,
                    "created_at": "2026-12-01T10:00:00Z",
                    "updated_at": "2026-12-01T10:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    platform: str = "meta"
    account_id: str
    page_id: str
    name: str | None
    status: str = Field(description="connected, or needs_reconnect once Meta refused its token")
    status_reason: str | None
    last_synced_at: datetime | None
    created_at: datetime
    updated_at: datetime
