"""Client uploads through the API: checked before they are read, judged by their bytes, streamed to the bucket.

The body is parsed as it arrives (api/form_stream.py) and the file goes to object storage part by part
(storage/objects.stream_to_object): memory stays near a few parts and nothing is written to local disk.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.errors import InvalidInput, PayloadTooLarge
from api.form_stream import FilePart, StreamedForm
from api.video_urls import sniff_video_extension
from settings import Settings
from storage import keys
from storage.objects import ObjectRef, SizeLimitExceeded, stream_to_object
from telemetry.metrics import BYTES_MOVED

FORM_OVERHEAD_BYTES = 64 * 1024  # the boundaries, part headers and text fields around the file
SNIFF_BYTES = 64  # enough of the head to tell MP4/MOV from WebM/Matroska

Fields = TypeVar("Fields", bound=BaseModel)


@dataclass
class StoredUpload:
    ref: ObjectRef
    sha256: str | None  # None when the API never saw the bytes (a direct upload)
    size_bytes: int
    original_filename: str | None


def too_large(settings: Settings) -> PayloadTooLarge:
    return PayloadTooLarge(f"upload exceeds the {settings.max_video_bytes // (1024 * 1024)} MB limit")


def refuse_declared_oversize(request: Request, settings: Settings) -> int | None:
    """The declared body length; 413 before anything is read when it is already too large."""
    declared = request.headers.get("content-length")
    if not declared or not declared.isdigit():
        return None
    if int(declared) > settings.max_video_bytes + FORM_OVERHEAD_BYTES:
        raise too_large(settings)
    return int(declared)


def validated(model: Any, data: Any) -> Any:
    """`model` (a model class or an annotated type) from `data`, or the same 422 a declared body parameter gives."""
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


async def read_json(request: Request, model: Any, *, max_bytes: int, empty: Any = None) -> Any:
    """A small JSON body, read only after the route's auth ran, and never past `max_bytes` (413)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"the body is limited to {max_bytes} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"the body is limited to {max_bytes} bytes")
    if not body.strip() and empty is not None:
        return empty
    try:
        data = json.loads(body)
    except ValueError:
        raise InvalidInput([{"field": "body", "message": "malformed JSON"}]) from None
    return validated(model, data)


async def read_form(request: Request, settings: Settings, model: type[Fields]) -> tuple[Fields, FilePart]:
    """The form's validated text fields and its file, whose bytes are not read yet (they follow the fields)."""
    form = StreamedForm(
        request, max_body_bytes=settings.max_video_bytes + FORM_OVERHEAD_BYTES, too_large=lambda: too_large(settings)
    )
    values, file = await form.fields_then_file()
    fields: Fields = validated(model, values)
    if file is None:
        raise InvalidInput([{"field": "file", "message": "a video file is required"}])
    return fields, file


async def _sniffed(chunks: AsyncIterator[bytes]) -> tuple[str, AsyncIterator[bytes]]:
    """Judge the format from the first bytes (however the network cut them), then replay the whole stream."""
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    extension = sniff_video_extension(head)

    async def replay() -> AsyncIterator[bytes]:
        yield head
        async for chunk in chunks:
            yield chunk

    return extension, replay()


async def store_file(
    s3: Any,
    settings: Settings,
    file: FilePart,
    ref: ObjectRef,
    *,
    chunks: AsyncIterator[bytes] | None = None,
    content_type: str = keys.OCTET_STREAM,
) -> StoredUpload:
    """Stream the file (or chunks already read from it) to `ref`, hashed on the way; 413 when too large."""
    try:
        stored = await stream_to_object(
            s3,
            ref,
            chunks if chunks is not None else file.chunks,
            max_bytes=settings.max_video_bytes,
            part_bytes=settings.multipart_chunk_bytes,
            content_type=content_type,
        )
    except SizeLimitExceeded:
        raise too_large(settings) from None
    BYTES_MOVED.add(stored.size_bytes, path="api_upload")
    return StoredUpload(ref, stored.sha256, stored.size_bytes, (file.filename or "")[:500] or None)


async def store_private_video(
    s3: Any, settings: Settings, file: FilePart, key_for: Callable[[str, str], ObjectRef]
) -> StoredUpload:
    """Sniff (415 if not a video), stream to `key_for(bucket, extension)` (413 if too large)."""
    extension, chunks = await _sniffed(file.chunks)
    ref = key_for(settings.r2_client_assets_bucket, extension)
    return await store_file(s3, settings, file, ref, chunks=chunks, content_type=keys.content_type(extension))


def multipart_doc(model: type[BaseModel], *, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """`openapi_extra` describing a form of `model`'s fields and the file (the route reads the body itself)."""
    schema = model.model_json_schema()
    properties = {**schema["properties"], **(overrides or {})}
    properties["file"] = {"type": "string", "format": "binary", "description": "the video (MP4, MOV or WebM), last"}
    form = {"type": "object", "required": [*schema.get("required", []), "file"], "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}}}
