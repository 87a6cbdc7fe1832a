"""meta ads: ad_accounts (encrypted tokens), the Meta ids of published campaigns, ad_insight_days

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

META_IDS = ("meta_video_id", "meta_creative_id", "meta_campaign_id", "meta_adset_id", "meta_ad_id")


def upgrade() -> None:
    op.create_table(
        "ad_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("page_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("token_ciphertext", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="connected", nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('connected', 'needs_reconnect', 'disconnected')", name=op.f("ck_ad_accounts_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_accounts")),
        sa.UniqueConstraint("owner_id", "account_id", name=op.f("uq_ad_accounts_owner_id_account_id")),
    )
    op.create_index(op.f("ix_ad_accounts_owner_id"), "ad_accounts", ["owner_id"])
    op.add_column("campaigns", sa.Column("ad_account_id", sa.Uuid(), nullable=True))
    op.add_column("campaigns", sa.Column("creative_id", sa.Uuid(), nullable=True))
    for column in META_IDS:
        op.add_column("campaigns", sa.Column(column, sa.String(length=40), nullable=True))
    op.add_column("campaigns", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_campaigns_ad_account_id_ad_accounts"), "campaigns", "ad_accounts", ["ad_account_id"], ["id"],
        ondelete="SET NULL",
    )  # fmt: skip
    op.create_foreign_key(
        op.f("fk_campaigns_creative_id_creatives"), "campaigns", "creatives", ["creative_id"], ["id"],
        ondelete="SET NULL",
    )  # fmt: skip
    op.create_unique_constraint(op.f("uq_campaigns_meta_ad_id"), "campaigns", ["meta_ad_id"])
    op.create_table(
        "ad_insight_days",
        sa.Column("meta_ad_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in
          ("impressions", "clicks", "conversions", "spend_minor", "video_plays", "thruplays")),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_ad_insight_days_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("meta_ad_id", "day", name=op.f("pk_ad_insight_days")),
    )  # fmt: skip
    op.create_index(op.f("ix_ad_insight_days_campaign_id"), "ad_insight_days", ["campaign_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ad_insight_days_campaign_id"), table_name="ad_insight_days")
    op.drop_table("ad_insight_days")
    op.drop_constraint(op.f("uq_campaigns_meta_ad_id"), "campaigns", type_="unique")
    op.drop_constraint(op.f("fk_campaigns_creative_id_creatives"), "campaigns", type_="foreignkey")
    op.drop_constraint(op.f("fk_campaigns_ad_account_id_ad_accounts"), "campaigns", type_="foreignkey")
    for column in ("published_at", *META_IDS, "creative_id", "ad_account_id"):
        op.drop_column("campaigns", column)
    op.drop_index(op.f("ix_ad_accounts_owner_id"), table_name="ad_accounts")
    op.drop_table("ad_accounts")
