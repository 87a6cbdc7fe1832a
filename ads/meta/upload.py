"""Meta's chunked video upload driven from any byte-range source (object storage), streamed piece by piece.

Each chunk Meta asks for goes out as a multipart body assembled on the fly from the source's pieces, so no
chunk is ever whole in memory. The source is read a bounded number of pieces ahead, and the next chunk
(Meta's next offsets almost always continue where the last chunk ended) is read while Meta still answers
for the current one: storage and Meta work at once, with a few MB in memory whatever the video's size.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from ads.meta.client import MetaClient

# (start, end exclusive) -> the bytes of that range, in pieces of any size
OpenRange = Callable[[int, int], AsyncIterator[bytes]]
Progress = Callable[[int, int], Awaitable[None] | None]
READ_AHEAD_PIECES = 4


@dataclass(frozen=True)
class Cursor:
    """Where an upload stands: the session and the next range Meta asked for (kept across retries)."""

    session_id: str
    video_id: str
    start_offset: int
    end_offset: int


class _ReadAhead:
    """One range's pieces, read into a bounded queue by a task of its own."""

    def __init__(self, source: AsyncIterator[bytes], start: int, end: int, depth: int):
        self.start, self.end = start, end
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.task = asyncio.create_task(self._fill(source))

    async def _fill(self, source: AsyncIterator[bytes]) -> None:
        try:
            async for piece in source:
                await self.queue.put(piece)
        except Exception as exc:  # handed to the reader, who raises it where the upload can see it
            self.error = exc
        await self.queue.put(None)

    async def pieces(self) -> AsyncIterator[bytes]:
        while (piece := await self.queue.get()) is not None:
            yield piece
        if self.error is not None:
            raise self.error

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(BaseException):
            await self.task


async def transfer_all(
    client: MetaClient, cursor: Cursor, open_range: OpenRange, progress: Progress, total_size: int
) -> Cursor:
    """Send chunks at the offsets Meta returns until it asks for none (start == end)."""
    start, end = cursor.start_offset, cursor.end_offset
    current: _ReadAhead | None = None
    upcoming: _ReadAhead | None = None
    try:
        while start < end:
            if upcoming is not None and (upcoming.start, upcoming.end) == (start, end):
                current, upcoming = upcoming, None
            else:
                if upcoming is not None:
                    await upcoming.close()
                    upcoming = None
                current = _ReadAhead(open_range(start, end), start, end, READ_AHEAD_PIECES)
            guess = (end, min(end + (end - start), total_size))
            if guess[0] < guess[1]:
                upcoming = _ReadAhead(open_range(*guess), *guess, READ_AHEAD_PIECES)
            start, end = await client.stream_video_chunk(cursor.session_id, start, end - start, current.pieces())
            await current.close()
            current = None
            done = progress(start, end)
            if done is not None:
                await done
    finally:
        for reader in (current, upcoming):
            if reader is not None:
                await reader.close()
    return Cursor(cursor.session_id, cursor.video_id, start, end)
