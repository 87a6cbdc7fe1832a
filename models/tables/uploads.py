"""Direct-upload sessions and the per-client daily usage counters behind the caps."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base, JsonB, created_at_column


class UploadSession(Base):
    """A direct-to-storage multipart upload a client started; completing it makes its creative or asset."""

    __tablename__ = "upload_sessions"
    __table_args__ = (
        CheckConstraint("purpose IN ('creative', 'video_asset')", name="purpose"),
        CheckConstraint("status IN ('open', 'completed', 'aborted')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID] = mapped_column()  # the creative or video asset it makes, fixed at the start
    video_key: Mapped[str] = mapped_column(String(500))  # where the parts land (server-made)
    storage_upload_id: Mapped[str] = mapped_column(Text)  # the S3/R2 multipart UploadId
    original_filename: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    part_size: Mapped[int] = mapped_column(BigInteger)
    part_count: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)  # the creative's or asset's form fields
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class UsageCounter(Base):
    """What one client used on one UTC day, per kind (`upload` with its bytes, `analysis`): the daily caps."""

    __tablename__ = "usage_counters"

    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
