"""Video URLs handed to users: public benchmark URLs and short-lived presigned GETs for private videos."""

from __future__ import annotations

from typing import Any

from api.errors import InvalidInput, UnsupportedMediaType
from storage.objects import presigned_get


async def generate_client_video_access_url(s3: Any, internal_key: str, expiration: int = 3600) -> str:
    """A presigned GET for `r2://bucket/key`, valid `expiration` seconds (clamped to R2's 7 days)."""
    return await presigned_get(s3, internal_key, expiration)


def sniff_video_extension(head: bytes) -> str:
    """The container from the first bytes (never the name or Content-Type); 415 when not a video."""
    if not head:
        raise InvalidInput([{"field": "file", "message": "the file is empty"}])
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if head[4:8] in {b"moov", b"mdat", b"wide", b"free", b"skip"}:
        return "mov"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in head[:64] else "mkv"
    raise UnsupportedMediaType("the file is not a video this service accepts: upload MP4, MOV or WebM")
