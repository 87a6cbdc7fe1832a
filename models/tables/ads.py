"""Connected Meta ad accounts and the per-(ad, day) insight totals their syncs store."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base, created_at_column, updated_at_column


class AdAccount(Base):
    """A client's connected Meta ad account; its access token is stored only encrypted (ads/tokens.py)."""

    __tablename__ = "ad_accounts"
    __table_args__ = (
        UniqueConstraint("owner_id", "account_id"),
        CheckConstraint("status IN ('connected', 'needs_reconnect', 'disconnected')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), index=True)
    account_id: Mapped[str] = mapped_column(String(40))  # act_<digits>
    page_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(200))
    token_ciphertext: Mapped[str | None] = mapped_column(Text)  # None once disconnected
    status: Mapped[str] = mapped_column(String(20), default="connected", server_default="connected")
    status_reason: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class AdInsightDay(Base):
    """One Meta ad's totals for one day as last reported: a restated day replaces its row, never adds to it."""

    __tablename__ = "ad_insight_days"

    meta_ad_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    conversions: Mapped[int] = mapped_column(BigInteger)
    spend_minor: Mapped[int] = mapped_column(BigInteger)
    video_plays: Mapped[int] = mapped_column(BigInteger)
    thruplays: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = updated_at_column()
