"""SequentialObject on the real S3: consecutive ranges from one body, jumps reopen, reads ahead take turns."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

from settings import Settings
from storage.objects import ObjectRef
from storage.ranges import SequentialObject


async def collect(source: SequentialObject, start: int, end: int) -> bytes:
    return b"".join([piece async for piece in source.range(start, end)])


async def test_ranges_in_order_out_of_order_and_past_the_end(s3: Any, stack_settings: Settings) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    ref = ObjectRef(stack_settings.r2_client_assets_bucket, f"tests/ranges/{uuid.uuid4()}.bin")
    await s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=data)
    source = SequentialObject(s3, ref, len(data), piece_bytes=300_000)
    try:
        assert await collect(source, 0, 1_000_000) == data[:1_000_000]
        assert await collect(source, 1_000_000, 2_500_000) == data[1_000_000:2_500_000]
        assert await collect(source, 100, 200) == data[100:200]  # a jump back: reopened
        assert await collect(source, 3_000_000, 9_000_000) == data[3_000_000:]  # clamped to the end
        assert await collect(source, len(data), len(data) + 10) == b""
        # two readers started at once: the second waits for the first and goes on where it stopped
        first, second = await asyncio.gather(collect(source, 0, 2_000_000), collect(source, 2_000_000, len(data)))
        assert first + second == data
    finally:
        await source.close()
