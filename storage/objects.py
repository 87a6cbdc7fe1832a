"""Object keys (`r2://bucket/key`) and streaming uploads to S3 that never hold a whole file in memory."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

SCHEME = "r2://"
R2_MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # R2 (like S3) refuses longer presigned URLs
# FFmpeg reads stored videos through presigned URLs; one lifetime covers the longest media step's timeout
MEDIA_READ_SECONDS = 3600
MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest multipart part (all but the last)


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str

    @classmethod
    def parse(cls, ref: str) -> ObjectRef:
        if not ref.startswith(SCHEME) or "/" not in ref[len(SCHEME) :]:
            raise ValueError(f"not an internal object key: {ref!r}")
        bucket, key = ref[len(SCHEME) :].split("/", 1)
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"


async def presigned_get(s3: S3Client, key: str, expires: int) -> str:
    """A presigned GET for `r2://bucket/key` (lifetime clamped to R2's 7 days): FFmpeg and users read through it."""
    ref = ObjectRef.parse(key)
    url: str = await s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": ref.bucket, "Key": ref.key},
        ExpiresIn=max(1, min(int(expires), R2_MAX_PRESIGN_SECONDS)),
    )
    return url


class SizeLimitExceeded(Exception):
    """The stream went past the allowed number of bytes."""


@dataclass
class UploadResult:
    sha256: str
    size_bytes: int


async def _rechunk(chunks: AsyncIterator[bytes], part_bytes: int) -> AsyncIterator[bytes]:
    """Group arbitrary chunks into parts of part_bytes (the last may be smaller), one copy per part."""
    pieces: list[bytes] = []
    held = 0
    async for chunk in chunks:
        while held + len(chunk) >= part_bytes:
            cut = part_bytes - held
            pieces.append(chunk[:cut])
            yield b"".join(pieces)
            pieces, held, chunk = [], 0, chunk[cut:]
        if chunk:
            pieces.append(chunk)
            held += len(chunk)
    if held:
        yield b"".join(pieces)


async def stream_to_object(
    s3: S3Client,
    ref: ObjectRef,
    chunks: AsyncIterator[bytes],
    *,
    max_bytes: int,
    part_bytes: int = 8 * 1024 * 1024,
    parallel_parts: int = 2,
    content_type: str = "application/octet-stream",
    on_part: Callable[[int], Any] | None = None,
) -> UploadResult:
    """Multipart-upload a byte stream, hashing as it goes; aborts (nothing left behind) on any error.

    Up to `parallel_parts` parts are in flight while the next one is read, so memory stays near
    (parallel_parts + 1) × part_bytes whatever the file size.
    """
    digest = hashlib.sha256()
    size = 0
    upload_id: str | None = None
    etags: dict[int, str] = {}
    in_flight: set[asyncio.Task[None]] = set()

    async def send(number: int, body: bytes) -> None:
        answer = await s3.upload_part(
            Bucket=ref.bucket, Key=ref.key, UploadId=upload_id or "", PartNumber=number, Body=body
        )
        etags[number] = answer["ETag"]

    try:
        number = 0
        async for part in _rechunk(chunks, max(part_bytes, MIN_PART_BYTES)):
            size += len(part)
            if size > max_bytes:
                raise SizeLimitExceeded(size)
            digest.update(part)
            if upload_id is None:
                created = await s3.create_multipart_upload(Bucket=ref.bucket, Key=ref.key, ContentType=content_type)
                upload_id = created["UploadId"]
            if len(in_flight) >= parallel_parts:
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # surface a failed part now
            number += 1
            in_flight.add(asyncio.create_task(send(number, part)))
            if on_part is not None:
                on_part(size)
        if in_flight:
            await asyncio.gather(*in_flight)
            in_flight = set()
        if upload_id is None:  # empty stream: an empty object, so the caller can judge it
            await s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=b"", ContentType=content_type)
        else:
            parts: list[Any] = [{"ETag": etags[n], "PartNumber": n} for n in sorted(etags)]
            await s3.complete_multipart_upload(
                Bucket=ref.bucket, Key=ref.key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
    except BaseException:
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        if upload_id is not None:
            await asyncio.shield(s3.abort_multipart_upload(Bucket=ref.bucket, Key=ref.key, UploadId=upload_id))
        raise
    return UploadResult(sha256=digest.hexdigest(), size_bytes=size)
