"""Direct uploads on the real stack: start → PUT the parts to presigned URLs → complete → the workflow runs."""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from typer.testing import CliRunner

import cli
from api.auth import issue_token
from api.main import create_app
from devstack.samples import make_test_video, make_text_file
from settings import Settings
from storage import keys
from tests.conftest import TEST_MAX_VIDEO_BYTES, bearer
from ugc_client import AsyncUgcClient, UnsupportedMediaType

pytestmark = pytest.mark.usefixtures("worker")

FIELDS = {"creative_name": "Direct upload", "product_category": "skincare", "tags": ["UGC", "direct"]}


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes


def _sample(path: Path) -> Sample:
    return Sample(path.name, path.read_bytes())


def _start_body(file: Sample, purpose: str = "creative", filename: str | None = None) -> dict[str, Any]:
    fields = FIELDS if purpose == "creative" else {"name": "Direct asset", "product_category": "skincare"}
    return {"purpose": purpose, "filename": filename or file.name, "size_bytes": len(file.data), **fields}


async def _put_parts(started: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    """What a client does: each part_size slice to its URL, no Authorization header; the ETags answered."""
    size = started["part_size"]
    etags = []
    async with httpx.AsyncClient() as storage:
        for part in started["parts"]:
            offset = (part["part_number"] - 1) * size
            answer = await storage.put(part["url"], content=data[offset : offset + size])
            assert answer.status_code == 200, answer.text
            etags.append({"part_number": part["part_number"], "etag": answer.headers["etag"]})
    return etags


async def _keys(s3: Any, settings: Settings, prefix: str) -> list[str]:
    bucket = settings.r2_client_assets_bucket
    objects = await s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    uploads = await s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in objects.get("Contents", [])] + [item["Key"] for item in uploads.get("Uploads", [])]


async def _probed(api: httpx.AsyncClient, token: str, creative_id: str) -> dict[str, Any]:
    for _ in range(240):
        creative: dict[str, Any] = (await api.get(f"/api/v1/creatives/{creative_id}", headers=bearer(token))).json()
        if creative["status"] != "pending":
            return creative
        await asyncio.sleep(0.25)
    pytest.fail(f"creative {creative_id} was never probed")


@pytest.fixture(scope="module")
def video(media_dir: Path) -> Sample:
    return _sample(make_test_video(media_dir / "direct.mp4", duration_s=4.0))


@pytest.fixture(scope="module")
def notes(media_dir: Path) -> Sample:
    return _sample(make_text_file(media_dir / "direct-notes.mp4"))


async def test_direct_upload_makes_the_creative_and_starts_its_workflow(
    api: httpx.AsyncClient, stack_settings: Settings, temporal: Client, s3: Any, video: Sample
) -> None:
    user = f"direct-{uuid.uuid4().hex[:8]}"
    token, other = issue_token(stack_settings, user), issue_token(stack_settings, f"other-{uuid.uuid4().hex[:8]}")
    # a .mov name for MP4 bytes: the key follows the bytes
    response = await api.post("/api/v1/uploads", headers=bearer(token), json=_start_body(video, filename="my ad.mov"))
    assert response.status_code == 201, response.text
    started = response.json()
    assert started["purpose"] == "creative" and len(started["parts"]) == 1
    assert "my ad" not in started["parts"][0]["url"]  # the key is server-made
    etags = await _put_parts(started, video.data)

    complete = f"/api/v1/uploads/{started['upload_id']}/complete"
    # another user's upload answers as a missing one, on complete and abort
    for path, method in ((complete, "POST"), (f"/api/v1/uploads/{started['upload_id']}", "DELETE")):
        denied = await api.request(method, path, headers=bearer(other))
        assert denied.status_code == 404
        missing = await api.request(
            method, path.replace(started["upload_id"], str(uuid.uuid4())), headers=bearer(other)
        )
        assert denied.json() == missing.json()
    assert (await api.post(complete)).status_code == 401

    done = await api.post(complete, headers=bearer(token), json={"parts": etags})
    assert done.status_code == 201, done.text
    creative_id = done.json()["creative_id"]
    assert done.json()["workflow_id"] == f"creative-{creative_id}"
    assert (await api.post(complete, headers=bearer(token))).json() == done.json()  # a retried complete

    creative = (await api.get(f"/api/v1/creatives/{creative_id}", headers=bearer(token))).json()
    assert creative["tags"] == ["direct", "ugc"] and creative["name"] == "Direct upload"
    assert creative["original_filename"] == "my ad.mov"
    description = await temporal.get_workflow_handle(done.json()["workflow_id"]).describe()
    assert description.workflow_type == "AnalyzeCreativeWorkflow"
    prefix = f"videos/client_{keys.owner_segment(user)}/"
    assert await _keys(s3, stack_settings, prefix) == [f"{prefix}{creative_id}.mp4"]
    head = await s3.head_object(Bucket=stack_settings.r2_client_assets_bucket, Key=f"{prefix}{creative_id}.mp4")
    assert head["ContentLength"] == len(video.data) and head["ContentType"] == "video/mp4"
    creative = await _probed(api, token, creative_id)  # the same bytes as an upload through the API
    assert creative["status"] == "ready" and creative["duration_s"] > 3


async def test_direct_upload_of_a_video_asset(
    api: httpx.AsyncClient, stack_settings: Settings, temporal: Client, video: Sample
) -> None:
    token = issue_token(stack_settings, f"direct-asset-{uuid.uuid4().hex[:8]}")
    started = (await api.post("/api/v1/uploads", headers=bearer(token), json=_start_body(video, "video_asset"))).json()
    await _put_parts(started, video.data)
    done = await api.post(f"/api/v1/uploads/{started['upload_id']}/complete", headers=bearer(token))
    assert done.status_code == 201, done.text
    asset_id = done.json()["video_asset_id"]
    assert done.json()["workflow_id"] == f"clips-{asset_id}"
    result = await temporal.get_workflow_handle(done.json()["workflow_id"]).result()
    assert result["clips_ready"] >= 1


async def test_not_a_video_is_415_and_nothing_stays(
    api: httpx.AsyncClient, stack_settings: Settings, s3: Any, notes: Sample
) -> None:
    user = f"direct-text-{uuid.uuid4().hex[:8]}"
    token = issue_token(stack_settings, user)
    started = (await api.post("/api/v1/uploads", headers=bearer(token), json=_start_body(notes))).json()
    await _put_parts(started, notes.data)
    refused = await api.post(f"/api/v1/uploads/{started['upload_id']}/complete", headers=bearer(token))
    assert refused.status_code == 415 and refused.json()["error"] == "unsupported_media_type"
    assert await _keys(s3, stack_settings, f"videos/client_{keys.owner_segment(user)}/") == []
    again = await api.post(f"/api/v1/uploads/{started['upload_id']}/complete", headers=bearer(token))
    assert again.status_code == 409


async def test_declared_sizes_are_held_to(
    api: httpx.AsyncClient, stack_settings: Settings, s3: Any, video: Sample
) -> None:
    user = f"direct-size-{uuid.uuid4().hex[:8]}"
    token = issue_token(stack_settings, user)
    too_big = {**_start_body(video), "size_bytes": TEST_MAX_VIDEO_BYTES + 1}
    refused = await api.post("/api/v1/uploads", headers=bearer(token), json=too_big)
    assert refused.status_code == 413
    assert (
        await api.post("/api/v1/uploads", headers=bearer(token), json={**too_big, "size_bytes": 0})
    ).status_code == 422
    # fewer bytes than declared: refused, the upload stays open to send the part again, or to abort
    started = (await api.post("/api/v1/uploads", headers=bearer(token), json=_start_body(video))).json()
    await _put_parts(started, video.data[:-10])
    complete = f"/api/v1/uploads/{started['upload_id']}/complete"
    short = await api.post(complete, headers=bearer(token))
    assert short.status_code == 422 and "declared" in short.text
    wrong_etag = await api.post(complete, headers=bearer(token), json={"parts": [{"part_number": 1, "etag": '"0"'}]})
    assert wrong_etag.status_code == 422
    assert (await api.delete(f"/api/v1/uploads/{started['upload_id']}", headers=bearer(token))).status_code == 204
    assert await _keys(s3, stack_settings, f"videos/client_{keys.owner_segment(user)}/") == []
    assert (await api.post(complete, headers=bearer(token))).status_code == 409


@pytest.fixture(scope="module")
async def big_app(stack_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(stack_settings.model_copy(update={"max_video_bytes": 16 * 1024 * 1024}))
    async with application.router.lifespan_context(application):
        yield application


async def test_a_file_of_several_parts(big_app: FastAPI, stack_settings: Settings, video: Sample) -> None:
    # a valid MP4 padded with a `free` box past S3's 5 MiB part: two parts, the last one shorter
    padding = 6 * 1024 * 1024
    data = video.data + struct.pack(">I", padding) + b"free" + b"\0" * (padding - 8)
    padded = Sample("padded.mp4", data)
    token = issue_token(stack_settings, f"direct-parts-{uuid.uuid4().hex[:8]}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=big_app), base_url="http://test") as api:
        started = (await api.post("/api/v1/uploads", headers=bearer(token), json=_start_body(padded))).json()
        assert len(started["parts"]) == 2 and started["part_size"] >= 5 * 1024 * 1024
        etags = await _put_parts(started, data)
        done = await api.post(
            f"/api/v1/uploads/{started['upload_id']}/complete", headers=bearer(token), json={"parts": etags}
        )
        assert done.status_code == 201, done.text
        creative = await _probed(api, token, done.json()["creative_id"])
    assert creative["status"] == "ready" and creative["duration_s"] > 3


class _ApiThenNetwork(httpx.AsyncBaseTransport):
    """The API over ASGI, anything else (the presigned storage URLs) over the network."""

    def __init__(self, app: FastAPI) -> None:
        self._api = httpx.ASGITransport(app=app)
        self._network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._api if request.url.host == "test" else self._network
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._network.aclose()


async def test_the_typed_client_uploads_directly(
    app: FastAPI, stack_settings: Settings, temporal: Client, video: Sample, notes: Sample
) -> None:
    token = issue_token(stack_settings, f"direct-client-{uuid.uuid4().hex[:8]}")
    sent: list[tuple[int, int]] = []
    async with AsyncUgcClient("http://test", token, transport=_ApiThenNetwork(app)) as ugc:
        done = await ugc.upload_client_video_direct(
            video.data, "ad.mp4", product_category="skincare", tags=["a"], on_progress=lambda *p: sent.append(p)
        )
        assert done.creative_id is not None and sent == [(len(video.data), len(video.data))]
        creative = await ugc.get_creative(done.creative_id)
        assert creative.name == "ad.mp4" and creative.tags == ["a"]
        asset = await ugc.upload_video_asset_direct(video.data, "long.mp4", name="long cut")
        assert asset.video_asset_id is not None and asset.workflow_id == f"clips-{asset.video_asset_id}"
        with pytest.raises(UnsupportedMediaType):
            await ugc.upload_client_video_direct(notes.data, "notes.mp4")
    result = await temporal.get_workflow_handle(asset.workflow_id).result()
    assert result["clips_ready"] >= 1


async def test_ugc_upload_takes_the_direct_path(
    served_api: str, stack_settings: Settings, media_dir: Path, video: Sample
) -> None:
    path = media_dir / "cli-upload.mp4"
    path.write_bytes(video.data)
    token = issue_token(stack_settings, f"cli-{uuid.uuid4().hex[:8]}")
    args = ["upload", str(path), "--asset", "--name", "CLI cut", "--api", served_api, "--token", token]
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, args)
    assert result.exit_code == 0, result.output
    assert "video asset" in result.output and "clips_ready" in result.output
    refused = await asyncio.to_thread(
        CliRunner().invoke, cli.app, ["upload", str(path), "--api", served_api, "--token", "x"]
    )
    assert refused.exit_code == 1 and "401" in refused.output
