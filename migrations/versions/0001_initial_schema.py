"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 09:30:13.094521
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "creatives",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=True),
        sa.Column("is_benchmark", sa.Boolean(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("product_category", sa.String(length=100), nullable=False),
        sa.Column("source_platform", sa.String(length=50), nullable=True),
        sa.Column("video_key", sa.String(length=500), nullable=True),
        sa.Column("original_filename", sa.String(length=500), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("container", sa.String(length=100), nullable=True),
        sa.Column("codec", sa.String(length=50), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("has_audio", sa.Boolean(), nullable=True),
        sa.Column("market_cvr", sa.Float(), nullable=True),
        sa.Column("market_longevity_days", sa.Integer(), nullable=True),
        sa.Column("avg_daily_clicks", sa.Float(), nullable=True),
        sa.Column("hook_type", sa.String(length=100), nullable=True),
        sa.Column("emotion", sa.String(length=100), nullable=True),
        sa.Column("pacing", sa.String(length=100), nullable=True),
        sa.Column("target_audience_pain", sa.Text(), nullable=True),
        sa.Column("tags", postgresql.JSONB(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("clicks", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("conversions", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("analysis_status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'ready', 'failed')", name=op.f("ck_creatives_status")),
        sa.CheckConstraint(
            "market_cvr IS NULL OR (market_cvr >= 0 AND market_cvr <= 1)",
            name=op.f("ck_creatives_market_cvr_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creatives")),
    )
    op.create_index("ix_creatives_benchmark_category", "creatives", ["is_benchmark", "product_category"], unique=False)
    op.create_index(op.f("ix_creatives_is_public"), "creatives", ["is_public"], unique=False)
    op.create_index(op.f("ix_creatives_owner_id"), "creatives", ["owner_id"], unique=False)
    op.create_table(
        "social_sync_ledger",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("metadata", postgresql.JSONB(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_sync_ledger")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_social_sync_ledger_idempotency_key")),
    )
    op.create_index(op.f("ix_social_sync_ledger_entity_id"), "social_sync_ledger", ["entity_id"], unique=False)
    op.create_index(op.f("ix_social_sync_ledger_event_type"), "social_sync_ledger", ["event_type"], unique=False)
    op.create_table(
        "video_assets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("original_filename", sa.String(length=500), nullable=True),
        sa.Column("video_key", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_assets")),
    )
    op.create_index(op.f("ix_video_assets_owner_id"), "video_assets", ["owner_id"], unique=False)
    op.create_table(
        "clips",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("video_asset_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="PENDING", nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("clip_key", sa.String(length=500), nullable=True),
        sa.Column("features", postgresql.JSONB(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('PENDING', 'READY', 'FAILED')", name=op.f("ck_clips_status")),
        sa.ForeignKeyConstraint(
            ["video_asset_id"],
            ["video_assets.id"],
            name=op.f("fk_clips_video_asset_id_video_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clips")),
    )
    op.create_index(op.f("ix_clips_video_asset_id"), "clips", ["video_asset_id"], unique=False)
    op.create_table(
        "creative_analyses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("creative_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("prompt_version", sa.String(length=50), nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("frame_keys", postgresql.JSONB(), nullable=False),
        sa.Column("frame_timestamps", postgresql.JSONB(), nullable=False),
        sa.Column("result", postgresql.JSONB(), nullable=False),
        sa.Column("tags", postgresql.JSONB(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "trigger IN ('benchmark', 'conversions', 'force')", name=op.f("ck_creative_analyses_trigger")
        ),
        sa.ForeignKeyConstraint(
            ["creative_id"],
            ["creatives.id"],
            name=op.f("fk_creative_analyses_creative_id_creatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creative_analyses")),
    )
    op.create_index(op.f("ix_creative_analyses_cache_key"), "creative_analyses", ["cache_key"], unique=False)
    op.create_index(op.f("ix_creative_analyses_creative_id"), "creative_analyses", ["creative_id"], unique=False)
    op.create_table(
        "pattern_performance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hook_type", sa.String(length=100), nullable=True),
        sa.Column("emotion", sa.String(length=100), nullable=True),
        sa.Column("pacing", sa.String(length=100), nullable=True),
        sa.Column("product_category", sa.String(length=100), nullable=False),
        sa.Column("creative_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("market_longevity_days", sa.Integer(), nullable=True),
        sa.Column("bayesian_alpha", sa.Float(), nullable=False),
        sa.Column("bayesian_beta", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("source IN ('benchmark', 'client')", name=op.f("ck_pattern_performance_source")),
        sa.CheckConstraint(
            "bayesian_alpha >= 1 AND bayesian_beta >= 1", name=op.f("ck_pattern_performance_beta_params")
        ),
        sa.ForeignKeyConstraint(
            ["creative_id"],
            ["creatives.id"],
            name=op.f("fk_pattern_performance_creative_id_creatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_performance")),
        sa.UniqueConstraint("creative_id", "source", name=op.f("uq_pattern_performance_creative_id_source")),
    )
    op.create_index(
        "ix_pattern_performance_pattern",
        "pattern_performance",
        ["hook_type", "emotion", "pacing", "product_category"],
        unique=False,
    )
    op.create_index(op.f("ix_pattern_performance_source"), "pattern_performance", ["source"], unique=False)
    op.create_table(
        "performance_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("creative_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["creative_id"],
            ["creatives.id"],
            name=op.f("fk_performance_events_creative_id_creatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_events")),
        sa.UniqueConstraint("creative_id", "event_id", name=op.f("uq_performance_events_creative_id_event_id")),
    )
    op.create_table(
        "best_clip_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("video_asset_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("clip_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("breakdown", postgresql.JSONB(), nullable=False),
        sa.Column("weights_version", sa.Integer(), nullable=False),
        sa.Column("num_candidates", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["clip_id"], ["clips.id"], name=op.f("fk_best_clip_decisions_clip_id_clips"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["video_asset_id"],
            ["video_assets.id"],
            name=op.f("fk_best_clip_decisions_video_asset_id_video_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_best_clip_decisions")),
        sa.UniqueConstraint("video_asset_id", "platform", name=op.f("uq_best_clip_decisions_video_asset_id_platform")),
    )
    op.create_index(op.f("ix_best_clip_decisions_clip_id"), "best_clip_decisions", ["clip_id"], unique=False)
    op.create_index(op.f("ix_best_clip_decisions_platform"), "best_clip_decisions", ["platform"], unique=False)
    op.create_index(
        op.f("ix_best_clip_decisions_video_asset_id"), "best_clip_decisions", ["video_asset_id"], unique=False
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("video_asset_id", sa.Uuid(), nullable=False),
        sa.Column("clip_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("budget_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("optimization_meta", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["clip_id"], ["clips.id"], name=op.f("fk_campaigns_clip_id_clips"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["video_asset_id"],
            ["video_assets.id"],
            name=op.f("fk_campaigns_video_asset_id_video_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint(
            "video_asset_id", "platform", "clip_id", name=op.f("uq_campaigns_video_asset_id_platform_clip_id")
        ),
    )
    op.create_index(op.f("ix_campaigns_video_asset_id"), "campaigns", ["video_asset_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_campaigns_video_asset_id"), table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_index(op.f("ix_best_clip_decisions_video_asset_id"), table_name="best_clip_decisions")
    op.drop_index(op.f("ix_best_clip_decisions_platform"), table_name="best_clip_decisions")
    op.drop_index(op.f("ix_best_clip_decisions_clip_id"), table_name="best_clip_decisions")
    op.drop_table("best_clip_decisions")
    op.drop_table("performance_events")
    op.drop_index(op.f("ix_pattern_performance_source"), table_name="pattern_performance")
    op.drop_index("ix_pattern_performance_pattern", table_name="pattern_performance")
    op.drop_table("pattern_performance")
    op.drop_index(op.f("ix_creative_analyses_creative_id"), table_name="creative_analyses")
    op.drop_index(op.f("ix_creative_analyses_cache_key"), table_name="creative_analyses")
    op.drop_table("creative_analyses")
    op.drop_index(op.f("ix_clips_video_asset_id"), table_name="clips")
    op.drop_table("clips")
    op.drop_index(op.f("ix_video_assets_owner_id"), table_name="video_assets")
    op.drop_table("video_assets")
    op.drop_index(op.f("ix_social_sync_ledger_event_type"), table_name="social_sync_ledger")
    op.drop_index(op.f("ix_social_sync_ledger_entity_id"), table_name="social_sync_ledger")
    op.drop_table("social_sync_ledger")
    op.drop_index(op.f("ix_creatives_owner_id"), table_name="creatives")
    op.drop_index(op.f("ix_creatives_is_public"), table_name="creatives")
    op.drop_index("ix_creatives_benchmark_category", table_name="creatives")
    op.drop_table("creatives")
