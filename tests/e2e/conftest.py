"""What the end-to-end tests share beyond tests/conftest.py."""

from __future__ import annotations

from typing import Any

import pytest

from models.db import make_engine, make_sessionmaker
from settings import Settings


@pytest.fixture
async def db(stack_settings: Settings) -> Any:
    """A session factory on the stack's database, for arranging and inspecting rows."""
    engine = make_engine(stack_settings.database_url or "", pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()
