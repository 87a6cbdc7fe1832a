"""best-clip decisions name their runner-up: the clip ranked second, its score and breakdown

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # nullable: decisions made before this have no runner-up recorded, and a lone candidate has none
    op.add_column("best_clip_decisions", sa.Column("runner_up_clip_id", sa.Uuid(), nullable=True))
    op.add_column("best_clip_decisions", sa.Column("runner_up_score", sa.Float(), nullable=True))
    op.add_column(
        "best_clip_decisions",
        sa.Column("runner_up_breakdown", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_best_clip_decisions_runner_up_clip_id_clips"),
        "best_clip_decisions",
        "clips",
        ["runner_up_clip_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_best_clip_decisions_runner_up_clip_id_clips"), "best_clip_decisions", type_="foreignkey"
    )
    op.drop_column("best_clip_decisions", "runner_up_breakdown")
    op.drop_column("best_clip_decisions", "runner_up_score")
    op.drop_column("best_clip_decisions", "runner_up_clip_id")
