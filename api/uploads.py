"""Reading an uploaded file in chunks (FastAPI spools uploads to disk, so memory stays flat)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.datastructures import UploadFile

UPLOAD_CHUNK_BYTES = 1024 * 1024


async def upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
        yield chunk
