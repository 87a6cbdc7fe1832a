"""pattern evidence owned by its client: owner_id on pattern_performance, so each client learns only from
public benchmarks and its own results

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("pattern_performance", sa.Column("owner_id", sa.String(length=200), nullable=True))
    # a client row belongs to its creative's owner; benchmark rows stay unowned (public)
    op.execute(
        "UPDATE pattern_performance AS p SET owner_id = c.owner_id FROM creatives AS c "
        "WHERE p.creative_id = c.id AND p.source = 'client'"
    )
    # a client row whose creative has no owner stays, unowned: no client's query matches it, so nobody learns from it
    op.create_index("ix_pattern_performance_visible", "pattern_performance", ["product_category", "source", "owner_id"])


def downgrade() -> None:
    op.drop_index("ix_pattern_performance_visible", table_name="pattern_performance")
    op.drop_column("pattern_performance", "owner_id")
