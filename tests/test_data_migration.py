"""The benchmark data migration (0002) on a populated database: marks benchmarks, touches nothing else."""

import asyncio
import uuid

from alembic import command
from sqlalchemy import text

from models.db import make_engine
from models.migrate import alembic_config
from settings import Settings
from tests.test_migrations import _fresh_database


async def test_existing_benchmarks_are_marked(stack_settings: Settings) -> None:
    url = await _fresh_database(stack_settings, "data_migration")
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0001")
    bench, client = uuid.uuid4(), uuid.uuid4()
    engine = make_engine(url, pool_size=1)
    async with engine.begin() as conn:
        for cid, is_benchmark in ((bench, True), (client, False)):
            await conn.execute(
                text(
                    "INSERT INTO creatives (id, name, is_benchmark, is_public, product_category, tags) "
                    "VALUES (:id, 'ad', :b, false, 'skincare', '[]')"
                ),
                {"id": cid, "b": is_benchmark},
            )
            await conn.execute(
                text(
                    "INSERT INTO pattern_performance (id, product_category, creative_id, source, weight, "
                    "bayesian_alpha, bayesian_beta) VALUES (:id, 'skincare', :cid, 'client', 1.0, 3, 9)"
                ),
                {"id": uuid.uuid4(), "cid": cid},
            )
    for _ in range(2):  # re-running the data migration is harmless
        await asyncio.to_thread(command.upgrade, alembic_config(url), "0002")
        await asyncio.to_thread(command.stamp, alembic_config(url), "0001")
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    async with engine.connect() as conn:
        rows = {
            row.id: row
            for row in await conn.execute(
                text(
                    "SELECT c.id, c.is_public, p.source, p.weight FROM creatives c "
                    "JOIN pattern_performance p ON p.creative_id = c.id"
                )
            )
        }
    await engine.dispose()
    assert (rows[bench].is_public, rows[bench].source, rows[bench].weight) == (True, "benchmark", 2.0)
    assert (rows[client].is_public, rows[client].source, rows[client].weight) == (False, "client", 1.0)
