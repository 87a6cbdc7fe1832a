"""Client uploads: read in chunks (FastAPI spools to disk), judged by their bytes, streamed to the bucket."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from activities.objects import ObjectRef, SizeLimitExceeded, stream_to_object
from api.errors import PayloadTooLarge
from settings import Settings

UPLOAD_CHUNK_BYTES = 1024 * 1024
FORM_OVERHEAD_BYTES = 64 * 1024
CONTENT_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "mkv": "video/x-matroska"}


async def upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
        yield chunk


@dataclass
class StoredUpload:
    ref: ObjectRef
    sha256: str
    size_bytes: int
    original_filename: str | None


def refuse_declared_oversize(request: Request, settings: Settings) -> None:
    """413 before reading anything when the declared body is already too large."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_video_bytes + FORM_OVERHEAD_BYTES:
        raise PayloadTooLarge(f"upload exceeds the {settings.max_video_bytes // (1024 * 1024)} MB limit")


async def store_private_video(
    s3: Any, settings: Settings, upload: UploadFile, *, folder: str, object_id: uuid.UUID
) -> StoredUpload:
    """Sniff (415 if not a video), stream to `<folder>/<id>.<ext>` in the private bucket (413 if too large)."""
    from api.video_urls import sniffed

    extension, chunks = await sniffed(upload_chunks(upload))
    ref = ObjectRef(settings.r2_client_assets_bucket, f"{folder}/{object_id}.{extension}")
    try:
        stored = await stream_to_object(
            s3,
            ref,
            chunks,
            max_bytes=settings.max_video_bytes,
            part_bytes=settings.multipart_chunk_bytes,
            content_type=CONTENT_TYPES[extension],
        )
    except SizeLimitExceeded:
        raise PayloadTooLarge(f"upload exceeds the {settings.max_video_bytes // (1024 * 1024)} MB limit") from None
    return StoredUpload(ref, stored.sha256, stored.size_bytes, (upload.filename or "")[:500] or None)
