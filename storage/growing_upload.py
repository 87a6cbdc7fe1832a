"""A file stored while another thread still writes it, so most of its upload overlaps the writing.

The shot pass writes its 9:16 crop (~50 MB a minute of 1080p) for as long as it decodes, and its clips wait for
the stored copy: uploaded only afterwards, it put ~0.5 s after the pass of a 60 s video, and a minute after a long
one's. Here every whole part the file has grown past goes up while it is written; the first part (where an MP4
muxer patches its header as it closes) and the tail go up at the end. Each part sent early is checked (CRC-32)
against the finished file; if the writer changed any, the whole file is sent again, so what is stored is always
the finished file.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from storage.objects import MIN_PART_BYTES, ObjectRef

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

T = TypeVar("T")
PARALLEL_PARTS = 2  # at the end, parts in flight (each held in memory)
POLL_S = 0.25  # how often the file's size is looked at while it is written
log = logging.getLogger(__name__)


class GrowingUpload:
    """Use as `async with`: `while_writing(the writer)`, then `finish(...)`; leaving without finishing aborts the
    multipart upload (no parts are left behind)."""

    def __init__(self, s3: S3Client, dest: ObjectRef, path: Path, *, part_bytes: int, content_type: str):
        self.s3, self.dest, self.path, self.content_type = s3, dest, path, content_type
        self.part_bytes = max(part_bytes, MIN_PART_BYTES)
        self.early: dict[int, tuple[int, str, int]] = {}  # part number → (offset, ETag, CRC-32), sent while written
        self._upload_id: str | None = None
        self._writing, self._follow_failed = False, False
        self._next = self.part_bytes  # offset of the next part to send early: part 1 waits for the end

    async def __aenter__(self) -> GrowingUpload:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._abort()

    async def _abort(self) -> None:
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            await asyncio.shield(
                self.s3.abort_multipart_upload(Bucket=self.dest.bucket, Key=self.dest.key, UploadId=upload_id)
            )

    async def while_writing(self, writing: Awaitable[T]) -> T:
        """Await the writer, sending whole parts as the file grows past them."""
        self._writing = True
        follower = asyncio.ensure_future(self._follow())
        try:
            result = await writing
        except BaseException:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
            raise
        finally:
            self._writing = False
        await follower  # ends after the part it is sending
        return result

    async def finish(self, whole: Callable[[], Awaitable[None]]) -> None:
        """Store the finished file: its first part and tail, or through `whole` when nothing usable went early."""
        if self.early and not self._follow_failed and await asyncio.to_thread(self._unchanged):
            size = (await asyncio.to_thread(self.path.stat)).st_size
            step = self.part_bytes
            rest = [0, *range(self._next, size, step)]  # part 1, then whatever the file grew past the early ones
            etags = {n: etag for n, (_, etag, _) in self.early.items()}
            sending = asyncio.Semaphore(PARALLEL_PARTS)  # a lagging upload's many parts are not all held at once

            async def send(offset: int) -> None:
                async with sending:
                    number = offset // step + 1
                    etags[number], _ = await self._send(number, offset, min(step, size - offset))

            async with asyncio.TaskGroup() as group:  # one failing cancels the others
                for offset in rest:
                    group.create_task(send(offset))
            parts: list[Any] = [{"ETag": etags[n], "PartNumber": n} for n in sorted(etags)]
            await self.s3.complete_multipart_upload(
                Bucket=self.dest.bucket, Key=self.dest.key, UploadId=self._upload_id or "",
                MultipartUpload={"Parts": parts},
            )  # fmt: skip
            self._upload_id = None
            return
        await self._abort()  # parts sent early are dropped
        await whole()

    async def _follow(self) -> None:
        """Send each whole part below the file's size, in order; a failure only means `finish` sends it all."""
        try:
            while self._writing:
                size = await asyncio.to_thread(self._size)
                if size >= self._next + self.part_bytes:
                    number = self._next // self.part_bytes + 1
                    etag, crc = await self._send(number, self._next, self.part_bytes)
                    self.early[number] = (self._next, etag, crc)
                    self._next += self.part_bytes
                else:
                    await asyncio.sleep(POLL_S)
        except Exception:
            log.warning("storing %s while it was written failed; it is sent whole at the end", self.dest, exc_info=True)
            self._follow_failed = True

    async def _send(self, number: int, offset: int, length: int) -> tuple[str, int]:
        """Upload one part of the file (the multipart upload begun at the first); its ETag and CRC-32."""
        body = await asyncio.to_thread(self._read, offset, length)
        if self._upload_id is None:
            created = await self.s3.create_multipart_upload(
                Bucket=self.dest.bucket, Key=self.dest.key, ContentType=self.content_type
            )
            self._upload_id = created["UploadId"]
        answer = await self.s3.upload_part(
            Bucket=self.dest.bucket, Key=self.dest.key, UploadId=self._upload_id, PartNumber=number, Body=body
        )
        return answer["ETag"], zlib.crc32(body)

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _read(self, offset: int, length: int) -> bytes:
        with self.path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    def _unchanged(self) -> bool:
        """Whether every part sent early still holds the bytes it was sent with."""
        return all(zlib.crc32(self._read(offset, self.part_bytes)) == crc for offset, _, crc in self.early.values())
