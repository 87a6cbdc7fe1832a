"""campaign results: impressions/clicks/conversions on campaigns and their idempotent report events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in ("impressions", "clicks", "conversions"):
        op.add_column("campaigns", sa.Column(column, sa.BigInteger(), server_default="0", nullable=False))
    op.create_table(
        "campaign_performance_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_performance_events_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_performance_events")),
        sa.UniqueConstraint(
            "campaign_id", "event_id", name=op.f("uq_campaign_performance_events_campaign_id_event_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("campaign_performance_events")
    for column in ("conversions", "clicks", "impressions"):
        op.drop_column("campaigns", column)
