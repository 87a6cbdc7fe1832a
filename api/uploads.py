"""Client uploads: read in chunks (FastAPI spools to disk), judged by their bytes, streamed to the bucket."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from api.errors import PayloadTooLarge
from api.video_urls import sniffed
from settings import Settings
from storage import keys
from storage.objects import ObjectRef, SizeLimitExceeded, stream_to_object

UPLOAD_CHUNK_BYTES = 1024 * 1024
FORM_OVERHEAD_BYTES = 64 * 1024


async def upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
        yield chunk


@dataclass
class StoredUpload:
    ref: ObjectRef
    sha256: str
    size_bytes: int
    original_filename: str | None


def _too_large(settings: Settings) -> PayloadTooLarge:
    return PayloadTooLarge(f"upload exceeds the {settings.max_video_bytes // (1024 * 1024)} MB limit")


def refuse_declared_oversize(request: Request, settings: Settings) -> None:
    """413 before reading anything when the declared body is already too large."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_video_bytes + FORM_OVERHEAD_BYTES:
        raise _too_large(settings)


async def store_upload(
    s3: Any,
    settings: Settings,
    upload: UploadFile,
    ref: ObjectRef,
    *,
    chunks: AsyncIterator[bytes] | None = None,
    content_type: str = "application/octet-stream",
) -> StoredUpload:
    """Stream the upload (or chunks already read from it) to `ref`, hashed on the way; 413 when too large."""
    try:
        stored = await stream_to_object(
            s3,
            ref,
            chunks if chunks is not None else upload_chunks(upload),
            max_bytes=settings.max_video_bytes,
            part_bytes=settings.multipart_chunk_bytes,
            content_type=content_type,
        )
    except SizeLimitExceeded:
        raise _too_large(settings) from None
    return StoredUpload(ref, stored.sha256, stored.size_bytes, (upload.filename or "")[:500] or None)


async def store_private_video(
    s3: Any, settings: Settings, upload: UploadFile, key_for: Callable[[str, str], ObjectRef]
) -> StoredUpload:
    """Sniff (415 if not a video), stream to `key_for(bucket, extension)` (413 if too large)."""
    extension, chunks = await sniffed(upload_chunks(upload))
    ref = key_for(settings.r2_client_assets_bucket, extension)
    return await store_upload(s3, settings, upload, ref, chunks=chunks, content_type=keys.content_type(extension))


async def start_or_undo(
    session: AsyncSession, s3: Any, stored: StoredUpload, table: Any, row_id: uuid.UUID, start: Awaitable[Any]
) -> None:
    """Start the row's workflow; if that fails, nothing half-made stays: the row and the object go."""
    try:
        await start
    except BaseException:
        await session.execute(delete(table).where(table.id == row_id))
        await session.commit()
        await s3.delete_object(Bucket=stored.ref.bucket, Key=stored.ref.key)
        raise
