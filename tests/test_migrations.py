"""Migrations build an empty database and are safe to run again."""

import asyncio

import asyncpg
import pytest
from sqlalchemy import inspect

from models.db import async_url, make_engine
from models.migrate import upgrade_head
from models.tables import Base
from settings import Settings


async def _fresh_database(settings: Settings, name: str) -> str:
    url = async_url(settings.database_url or "")
    admin_url = url.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(admin_url.replace("/ugc?", "/postgres?"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.replace("/ugc?", f"/{name}?")


@pytest.mark.parametrize("runs", [1, 2])
async def test_upgrade_head_builds_every_table(stack_settings: Settings, runs: int) -> None:
    url = await _fresh_database(stack_settings, f"migrate_{runs}")
    for _ in range(runs):
        await asyncio.to_thread(upgrade_head, url)
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_models_match_the_migrations(stack_settings: Settings) -> None:
    """Every schema change went through a migration: autogenerate finds nothing left to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = await _fresh_database(stack_settings, "migrate_compare")
    await asyncio.to_thread(upgrade_head, url)
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
        )
    await engine.dispose()
    assert diff == []
