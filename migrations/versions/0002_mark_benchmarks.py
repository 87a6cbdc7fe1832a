"""mark existing benchmarks: source='benchmark', weight=2.0, is_public=true (market-ingestion.md's data migration)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Safe on a populated database and safe to re-run: plain UPDATEs keyed on is_benchmark, no locks
beyond the touched rows, nothing deleted.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE creatives SET is_public = true WHERE is_benchmark AND NOT is_public")
    op.execute(
        """
        UPDATE pattern_performance AS p
        SET source = 'benchmark', weight = 2.0
        FROM creatives AS c
        WHERE p.creative_id = c.id AND c.is_benchmark
          AND (p.source IS DISTINCT FROM 'benchmark' OR p.weight IS DISTINCT FROM 2.0)
          -- a benchmark creative already holding a 'benchmark' row keeps that one (unique per source)
          AND NOT EXISTS (
              SELECT 1 FROM pattern_performance AS other
              WHERE other.creative_id = p.creative_id AND other.source = 'benchmark' AND other.id <> p.id
          )
        """
    )


def downgrade() -> None:
    # data migration: the earlier values are not recorded, so there is nothing to restore
    pass
