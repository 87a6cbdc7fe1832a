"""Direct uploads: a large video goes to storage in presigned parts and never through the API.

POST /api/v1/uploads opens the upload and answers one presigned URL per part; each `part_size` slice of
the file is PUT to its URL (without the API's Authorization header: the URL carries its own signature);
POST /api/v1/uploads/{id}/complete then makes the creative or video asset. Memory holds one part.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from models.schemas.uploads import UploadCompleted, UploadStarted
from ugc_client.plans import Call, FileContent, Plan, given, returns

Progress = Callable[[int, int], object]  # (bytes sent, total bytes)


class _WithoutAuthorization(httpx.Auth):
    """Drop the client's bearer token: a presigned URL is signed on its own, and S3 refuses two schemes."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.pop("Authorization", None)
        yield request


@dataclass(frozen=True)
class _PartPut(Call[str]):
    """One part's PUT to its presigned URL; the answer is the part's ETag."""

    content: bytes = b""

    def request(self) -> dict[str, Any]:
        return {"method": "PUT", "url": self.path, "content": self.content, "auth": _WithoutAuthorization()}


def _etag(response: httpx.Response) -> str:
    return response.headers["etag"]


@contextmanager
def _seekable(content: FileContent, filename: str | None) -> Iterator[tuple[str, IO[bytes], int]]:
    """The file's name, a handle to read its parts from, and its size."""
    if isinstance(content, os.PathLike):
        path = Path(content)
        with path.open("rb") as opened:
            yield filename or path.name, opened, path.stat().st_size
        return
    handle: IO[bytes] = io.BytesIO(content) if isinstance(content, bytes) else content
    name = filename or Path(str(getattr(handle, "name", "") or "")).name
    if not name:
        raise ValueError("filename is required when the content is bytes")
    handle.seek(0, os.SEEK_END)
    yield name, handle, handle.tell()


def _direct(
    content: FileContent, filename: str | None, fields: dict[str, Any], on_progress: Progress | None
) -> Plan[UploadCompleted]:
    with _seekable(content, filename) as (name, handle, size):
        body = {**given(fields), "filename": name, "size_bytes": size}
        started: UploadStarted = yield Call("POST", "/api/v1/uploads", returns(UploadStarted), json=body)
        try:
            parts = []
            for part in started.parts:
                handle.seek((part.part_number - 1) * started.part_size)
                chunk = handle.read(started.part_size)
                etag = yield _PartPut("PUT", part.url, _etag, content=chunk)
                parts.append({"part_number": part.part_number, "etag": etag})
                if on_progress is not None:
                    on_progress(min(part.part_number * started.part_size, size), size)
            complete = f"/api/v1/uploads/{started.upload_id}/complete"
            return (yield Call("POST", complete, returns(UploadCompleted), json={"parts": parts}))
        except Exception:
            try:  # leave no parts behind; the first error is the one to report
                yield abort_upload(started.upload_id)
            except Exception:
                pass
            raise


def upload_client_video_direct(
    file_content: FileContent,
    filename: str | None = None,
    *,
    creative_name: str | None = None,
    product_category: str = "uncategorized",
    tags: Sequence[str] | None = None,
    on_progress: Progress | None = None,
) -> Plan[UploadCompleted]:
    """upload_client_video for large files: straight to storage, then the creative and its workflow.

    `on_progress(sent, total)` after each part. Not a video → UnsupportedMediaType (nothing is kept).
    """
    name = creative_name or (Path(str(filename or getattr(file_content, "name", "") or "video")).name)
    fields = {"purpose": "creative", "creative_name": name, "product_category": product_category}
    return (yield from _direct(file_content, filename, {**fields, "tags": list(tags or [])}, on_progress))


def upload_video_asset_direct(
    file_content: FileContent,
    filename: str | None = None,
    *,
    name: str | None = None,
    product_category: str | None = None,
    on_progress: Progress | None = None,
) -> Plan[UploadCompleted]:
    """upload_video_asset for large files: straight to storage, then the asset and its PrepareClipsWorkflow."""
    asset_name = name or (Path(str(filename or getattr(file_content, "name", "") or "video")).name)
    fields = {"purpose": "video_asset", "name": asset_name, "product_category": product_category}
    return (yield from _direct(file_content, filename, fields, on_progress))


def abort_upload(upload_id: object) -> Call[None]:
    """DELETE /api/v1/uploads/{id}: drop an unfinished direct upload and its parts."""
    return Call("DELETE", f"/api/v1/uploads/{upload_id}", lambda response: None)
