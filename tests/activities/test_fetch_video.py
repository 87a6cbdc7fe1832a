"""fetch_video with the worker's own clients on the real S3: private origins refused, the stored type ours."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.registry import download_client
from activities.storage import StorageActivities
from devstack.samples import make_test_video
from models.schemas.media import DeleteObjectsInput, FetchVideoInput
from settings import Settings
from storage.keys import OCTET_STREAM

MAX = 10**8


@pytest.fixture(scope="module")
def disguised(media_dir: Path) -> Path:
    """A video the file server sends as text/html (its type comes from the name)."""
    video = make_test_video(media_dir / "fetch-source.mp4", duration_s=1.0)
    return Path(shutil.copy(video, media_dir / "fetch-source.html"))


async def _staged(s3: Any, key: str) -> list[str]:
    listing = await s3.list_objects_v2(Bucket="client-assets", Prefix=key)
    return [item["Key"] for item in listing.get("Contents", [])]


async def test_loopback_is_refused_without_the_allow_setting(
    stack_settings: Settings, s3: Any, file_server: str, disguised: Path
) -> None:
    key = f"staging/benchmarks/{uuid.uuid4()}"
    fetch = FetchVideoInput(
        url=f"{file_server}/{disguised.name}", dest_key=f"r2://client-assets/{key}", max_bytes=10**8
    )
    async with download_client(stack_settings) as http:
        storage = StorageActivities(s3, http, stack_settings.multipart_chunk_bytes)  # no URL_FETCH_ALLOWED_HOSTS
        with pytest.raises(ApplicationError) as refused:
            await ActivityEnvironment().run(storage.fetch_video, fetch)
    assert refused.value.type == "InvalidSource" and refused.value.non_retryable
    # the text says what, never which address or port was met
    assert refused.value.message == "refused: the URL does not point to a public address"
    assert await _staged(s3, key) == []


async def test_the_staged_object_has_our_type_not_the_origins(
    stack_settings: Settings, s3: Any, file_server: str, disguised: Path
) -> None:
    key = f"staging/benchmarks/{uuid.uuid4()}"
    fetch = FetchVideoInput(
        url=f"{file_server}/{disguised.name}", dest_key=f"r2://client-assets/{key}", max_bytes=10**8
    )
    async with download_client(stack_settings) as http:
        storage = StorageActivities(
            s3, http, stack_settings.multipart_chunk_bytes, allowed_hosts=stack_settings.url_fetch_allowed_hosts
        )
        stored = await ActivityEnvironment().run(storage.fetch_video, fetch)
    assert stored.size_bytes == len(disguised.read_bytes())  # noqa: ASYNC240 (a small local file)
    head = await s3.head_object(Bucket="client-assets", Key=key)
    assert head["ContentType"] == OCTET_STREAM
    await s3.delete_object(Bucket="client-assets", Key=key)


async def test_a_closed_port_is_retryable_and_does_not_say_so(stack_settings: Settings, s3: Any) -> None:
    key = f"staging/benchmarks/{uuid.uuid4()}"
    fetch = FetchVideoInput(url="http://127.0.0.1:9/a.mp4", dest_key=f"r2://client-assets/{key}", max_bytes=10**8)
    async with download_client(stack_settings) as http:
        storage = StorageActivities(s3, http, stack_settings.multipart_chunk_bytes, allowed_hosts=["127.0.0.1"])
        with pytest.raises(ApplicationError) as failed:
            await ActivityEnvironment().run(storage.fetch_video, fetch)
    assert failed.value.type == "SourceUnavailable" and not failed.value.non_retryable
    assert "refused" not in failed.value.message.lower() and "9" not in failed.value.message
    assert await _staged(s3, key) == []


async def test_deleting_an_object_also_aborts_its_unfinished_uploads(stack_settings: Settings, s3: Any) -> None:
    """A worker killed while storing (the shot pass's crop goes up while it is written) leaves a multipart
    upload; deleting the object drops its parts too, and leaves a longer key's upload alone."""
    bucket, key = stack_settings.r2_client_assets_bucket, f"assets/tests/{uuid.uuid4()}.mp4.shots/vertical.mp4"
    for name in (key, f"{key}.other"):
        created = await s3.create_multipart_upload(Bucket=bucket, Key=name)
        await s3.upload_part(Bucket=bucket, Key=name, UploadId=created["UploadId"], PartNumber=2, Body=b"x" * 1024)
    async with download_client(stack_settings) as http:
        storage = StorageActivities(s3, http, stack_settings.multipart_chunk_bytes)
        await ActivityEnvironment().run(storage.delete_objects, DeleteObjectsInput(keys=[f"r2://{bucket}/{key}"]))
    left = await s3.list_multipart_uploads(Bucket=bucket, Prefix=key)
    assert [upload["Key"] for upload in left.get("Uploads", [])] == [f"{key}.other"]
