"""Parts for multipart upload: exact sizes, every byte once, in order."""

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.objects import _rechunk


async def _chunks(sizes: list[int]) -> AsyncIterator[bytes]:
    offset = 0
    for size in sizes:
        yield bytes((offset + i) % 251 for i in range(size))
        offset += size


@given(sizes=st.lists(st.integers(min_value=0, max_value=40), max_size=30), part=st.integers(min_value=1, max_value=25))
def test_rechunk_yields_exact_parts(sizes: list[int], part: int) -> None:
    import asyncio

    async def collect() -> list[bytes]:
        return [p async for p in _rechunk(_chunks(sizes), part)]

    parts = asyncio.run(collect())
    data = b"".join(parts)
    assert len(data) == sum(sizes)
    assert data == bytes(i % 251 for i in range(sum(sizes)))
    assert all(len(p) == part for p in parts[:-1])
    assert not parts or 0 < len(parts[-1]) <= part


@pytest.mark.parametrize("sizes", [[], [0, 0]])
async def test_empty_stream_yields_nothing(sizes: list[int]) -> None:
    assert [p async for p in _rechunk(_chunks(sizes), 8)] == []
