"""Meta's chunked video upload driven from any byte-range reader (object storage), one chunk ahead at most.

Memory stays at two chunks whatever the video's size: the one being sent and the next, read while the
first is in flight (Meta's next offsets almost always continue where the last chunk ended).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ads.meta.client import MetaClient

# (start, end exclusive) -> bytes; a range past the end of the video is clamped (b"" beyond it)
ReadRange = Callable[[int, int], Coroutine[Any, Any, bytes]]
Progress = Callable[[int, int], Awaitable[None] | None]


@dataclass(frozen=True)
class Cursor:
    """Where an upload stands: the session and the next range Meta asked for (kept across retries)."""

    session_id: str
    video_id: str
    start_offset: int
    end_offset: int


async def transfer_all(client: MetaClient, cursor: Cursor, read: ReadRange, progress: Progress) -> Cursor:
    """Send chunks at the offsets Meta returns until it asks for none (start == end)."""
    start, end = cursor.start_offset, cursor.end_offset
    ahead: tuple[int, int, asyncio.Task[bytes]] | None = None
    try:
        while start < end:
            if ahead is not None and ahead[0] == start and ahead[1] == end:
                chunk = await ahead[2]
            else:
                if ahead is not None:
                    ahead[2].cancel()
                chunk = await read(start, end)
            size = end - start
            ahead = (end, end + size, asyncio.create_task(read(end, end + size))) if size > 0 else None
            start, end = await client.transfer_video_chunk(cursor.session_id, start, chunk)
            del chunk
            done = progress(start, end)
            if done is not None:
                await done
    finally:
        if ahead is not None:
            ahead[2].cancel()
            with contextlib.suppress(BaseException):
                await ahead[2]
    return Cursor(cursor.session_id, cursor.video_id, start, end)
