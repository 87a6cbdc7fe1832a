"""A file stored while it is written (the shot pass's crop), on the real S3 server: what is stored is always the
finished file, and no multipart upload is left behind."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from settings import Settings
from storage.growing_upload import GrowingUpload
from storage.objects import MIN_PART_BYTES, ObjectRef

PART = MIN_PART_BYTES
CHUNK = 1024 * 1024


class Boom(Exception):
    pass


def write_slowly(path: Path, size: int, *, patch_at: int | None = 0, fail: bool = False) -> bytes:
    """Write `size` random bytes in 1 MiB chunks over ~1 s, then, as an MP4 muxer closing does, rewrite 8 bytes at
    `patch_at`; the finished file's bytes."""
    data = bytearray(os.urandom(size))
    with path.open("wb") as handle:
        for offset in range(0, size, CHUNK):
            handle.write(data[offset : offset + CHUNK])
            handle.flush()
            time.sleep(0.06)
            if fail and offset > 5 * PART:
                raise Boom("the writer failed")
        if patch_at is not None:
            data[patch_at : patch_at + 8] = b"patched!"
            handle.seek(patch_at)
            handle.write(b"patched!")
    return bytes(data)


async def stored(s3: Any, ref: ObjectRef) -> bytes | None:
    try:
        answer = await s3.get_object(Bucket=ref.bucket, Key=ref.key)
    except s3.exceptions.NoSuchKey:
        return None
    async with answer["Body"] as body:
        data: bytes = await body.read()
        return data


async def pending_uploads(s3: Any, ref: ObjectRef) -> list[str]:
    uploads = await s3.list_multipart_uploads(Bucket=ref.bucket, Prefix=ref.key)
    return [item["Key"] for item in uploads.get("Uploads", [])]


def _ref(settings: Settings) -> ObjectRef:
    return ObjectRef(settings.r2_client_assets_bucket, f"tests/growing/{uuid.uuid4()}.mp4")


async def _store(s3: Any, ref: ObjectRef, path: Path, write: Any) -> tuple[bytes, GrowingUpload, list[str]]:
    """`write` in a thread, stored as it writes: the finished bytes, the upload, and whether `whole` was used."""
    wholes: list[str] = []

    async def whole() -> None:
        wholes.append("whole")
        await s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=await asyncio.to_thread(path.read_bytes))

    async with GrowingUpload(s3, ref, path, part_bytes=PART, content_type="video/mp4") as growing:
        data = await growing.while_writing(asyncio.to_thread(write, path))
        await growing.finish(whole)
    return data, growing, wholes


async def test_parts_go_up_while_the_file_is_written_and_the_header_patch_is_kept(
    s3: Any, stack_settings: Settings, tmp_path: Path
) -> None:
    ref = _ref(stack_settings)
    size = 4 * PART + 12345  # parts 2-4 early, part 1 (patched) and the 12345-byte tail at the end
    data, growing, wholes = await _store(s3, ref, tmp_path / "crop.mp4", lambda p: write_slowly(p, size))
    assert len(growing.early) >= 2 and not wholes  # sent while written, not all again at the end
    assert await stored(s3, ref) == data and data[:8] == b"patched!"
    assert await pending_uploads(s3, ref) == []


async def test_a_part_changed_after_it_went_up_sends_the_file_whole(
    s3: Any, stack_settings: Settings, tmp_path: Path
) -> None:
    ref = _ref(stack_settings)
    size = 4 * PART
    data, growing, wholes = await _store(
        s3, ref, tmp_path / "crop.mp4", lambda p: write_slowly(p, size, patch_at=PART + 3)
    )
    assert growing.early and wholes == ["whole"]
    assert await stored(s3, ref) == data
    assert await pending_uploads(s3, ref) == []


async def test_a_small_file_goes_up_whole(s3: Any, stack_settings: Settings, tmp_path: Path) -> None:
    ref = _ref(stack_settings)
    data, growing, wholes = await _store(s3, ref, tmp_path / "crop.mp4", lambda p: write_slowly(p, PART + 10))
    assert not growing.early and wholes == ["whole"]
    assert await stored(s3, ref) == data


async def test_a_failed_writer_leaves_nothing_stored(s3: Any, stack_settings: Settings, tmp_path: Path) -> None:
    ref, path = _ref(stack_settings), tmp_path / "crop.mp4"
    with pytest.raises(Boom):
        async with GrowingUpload(s3, ref, path, part_bytes=PART, content_type="video/mp4") as growing:
            await growing.while_writing(asyncio.to_thread(write_slowly, path, 6 * PART, fail=True))
    assert growing.early  # parts had gone up before it failed …
    assert await pending_uploads(s3, ref) == [] and await stored(s3, ref) is None  # … and were aborted
