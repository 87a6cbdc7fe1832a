"""Listing workflows by a visibility query in tests: visibility is eventually consistent, so poll briefly."""

from __future__ import annotations

import asyncio

from temporalio.client import Client


async def listed(temporal: Client, query: str, expected: int) -> list[str]:
    """Workflow ids matching the query, once visibility has `expected` of them (or after ~10 s)."""
    ids: list[str] = []
    for _ in range(100):
        ids = [execution.id async for execution in temporal.list_workflows(query)]
        if len(ids) >= expected:
            break
        await asyncio.sleep(0.1)
    return sorted(ids)
