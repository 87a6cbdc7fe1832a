"""Reading one object's consecutive byte ranges through a single GET, so a sequential reader of many small
ranges (Meta's upload chunks) pays for one request, not one per range."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from domain.failures import SourceUnavailable
from storage.objects import ObjectRef

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

PIECE_BYTES = 1024 * 1024


class SequentialObject:
    """Ranges of one object served from one open body while they follow each other; reopened otherwise.

    Readers take turns (a lock), so a range read ahead starts where the previous one stopped.
    """

    def __init__(self, s3: S3Client, ref: ObjectRef, size: int, piece_bytes: int = PIECE_BYTES):
        self.s3 = s3
        self.ref = ref
        self.size = size
        self.piece_bytes = piece_bytes
        self._lock = asyncio.Lock()
        self._body: Any = None
        self._position = -1

    async def _open(self, start: int) -> None:
        await self.close()
        answer = await self.s3.get_object(Bucket=self.ref.bucket, Key=self.ref.key, Range=f"bytes={start}-")
        self._body = answer["Body"]
        self._position = start

    async def range(self, start: int, end: int) -> AsyncIterator[bytes]:
        """The bytes [start, min(end, size)) in pieces of at most `piece_bytes`."""
        end = min(end, self.size)
        async with self._lock:
            if start >= end:
                return
            if self._body is None or self._position != start:
                await self._open(start)
            while self._position < end:
                try:
                    piece = await self._body.read(min(self.piece_bytes, end - self._position))
                except BaseException:
                    await self.close()  # a read cut short leaves the body mid-range: the next one reopens
                    raise
                if not piece:
                    await self.close()
                    raise SourceUnavailable(f"{self.ref} ended at byte {self._position} of {self.size}")
                self._position += len(piece)
                yield piece

    async def close(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
        self._position = -1
