"""campaigns engine: versioned rule weights (seeded with version 1), clip variants, decision spec version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 09:46:14.041742
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rule Engine 2.0 weights, version 1 (a frozen copy of domain.rules.DEFAULT_WEIGHTS at this
# revision: later code changes must not rewrite what this migration seeded)
SEED_WEIGHTS = {
    "instagram": {
        "aspect_fit": 1.0,
        "audio": 1.0,
        "duration_fit": 1.0,
        "dynamic_start": 1.0,
        "expected_cvr": 2.0,
        "face_early": 1.0,
        "loudness": 0.5,
        "pacing": 1.0,
        "resolution": 0.75,
    },
    "tiktok": {
        "aspect_fit": 1.0,
        "audio": 1.5,
        "duration_fit": 1.0,
        "dynamic_start": 1.5,
        "expected_cvr": 2.0,
        "face_early": 1.0,
        "loudness": 0.5,
        "pacing": 1.5,
        "resolution": 0.5,
    },
    "youtube": {
        "aspect_fit": 1.0,
        "audio": 0.5,
        "duration_fit": 1.5,
        "dynamic_start": 1.0,
        "expected_cvr": 2.0,
        "face_early": 0.75,
        "loudness": 0.5,
        "pacing": 0.75,
        "resolution": 1.0,
    },
}


def upgrade() -> None:
    op.create_table(
        "rule_weights",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("terms", postgresql.JSONB(), nullable=False),
        sa.Column("source", sa.String(length=20), server_default="seed", nullable=False),
        sa.Column("metrics", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_weights")),
        sa.UniqueConstraint("platform", "version", name=op.f("uq_rule_weights_platform_version")),
    )
    op.create_index(op.f("ix_rule_weights_platform"), "rule_weights", ["platform"], unique=False)
    rule_weights = sa.table(
        "rule_weights",
        sa.column("platform"),
        sa.column("version"),
        sa.column("terms", postgresql.JSONB()),
        sa.column("source"),
        sa.column("metrics", postgresql.JSONB()),
    )
    op.bulk_insert(
        rule_weights,
        [
            {"platform": platform, "version": 1, "terms": terms, "source": "seed", "metrics": {}}
            for platform, terms in SEED_WEIGHTS.items()
        ],
    )
    op.add_column("best_clip_decisions", sa.Column("spec_version", sa.String(length=20), nullable=True))
    op.add_column("clips", sa.Column("variant", sa.String(length=20), server_default="original", nullable=False))
    op.add_column("video_assets", sa.Column("product_category", sa.String(length=100), nullable=True))
    op.add_column("video_assets", sa.Column("has_audio", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("video_assets", "has_audio")
    op.drop_column("video_assets", "product_category")
    op.drop_column("clips", "variant")
    op.drop_column("best_clip_decisions", "spec_version")
    op.drop_index(op.f("ix_rule_weights_platform"), table_name="rule_weights")
    op.drop_table("rule_weights")
