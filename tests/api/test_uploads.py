"""Uploads through the API are checked before they are read, cut off at the limit, and capped per client per day."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.auth import issue_token
from api.main import create_app
from api.services.caps import seconds_until_reset
from api.uploads import FORM_OVERHEAD_BYTES
from devstack.samples import make_test_video
from settings import Settings
from storage import keys
from tests.conftest import bearer

BOUNDARY = "ugc-test-boundary"
CHUNK = 64 * 1024
MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"


class CountingBody:
    """A multipart body sent as an async stream; counts what the server pulled from it."""

    def __init__(self, fields: dict[str, str], file_bytes: int, *, head: bytes = MP4_HEAD) -> None:
        self.fields, self.file_bytes, self.head = fields, file_bytes, head
        self.chunks_pulled = 0
        self.bytes_pulled = 0

    def _parts(self) -> bytes:
        text = b"".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in self.fields.items()
        )
        header = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
        return text + header.encode()

    @property
    def length(self) -> int:
        return len(self._parts()) + self.file_bytes + len(f"\r\n--{BOUNDARY}--\r\n")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks():
            self.chunks_pulled += 1
            self.bytes_pulled += len(chunk)
            yield chunk

    async def _chunks(self) -> AsyncIterator[bytes]:
        yield self._parts()
        sent = 0
        while sent < self.file_bytes:
            piece = self.head if sent == 0 else b"\0" * min(CHUNK, self.file_bytes - sent)
            sent += len(piece)
            yield piece
        yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _content_type() -> dict[str, str]:
    return {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


CREATIVE_FIELDS = {"creative_name": "Morning routine", "product_category": "skincare"}
ROUTES = {
    "/api/v1/creatives": CREATIVE_FIELDS,
    "/api/v1/video-assets": {"name": "Long cut", "product_category": "skincare"},
}


async def _leftovers(s3: Any, settings: Settings, prefix: str) -> list[str]:
    bucket = settings.r2_client_assets_bucket
    objects = await s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    uploads = await s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in objects.get("Contents", [])] + [item["Key"] for item in uploads.get("Uploads", [])]


@pytest.mark.parametrize("route", [*ROUTES, "/api/v1/benchmarks"])
async def test_no_token_is_401_and_nothing_is_read(api: httpx.AsyncClient, route: str) -> None:
    body = CountingBody(ROUTES.get(route, CREATIVE_FIELDS), 2 * 1024 * 1024)
    response = await api.post(route, headers=_content_type(), content=body)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert body.chunks_pulled <= 1 and body.bytes_pulled < 1024


async def test_user_on_the_admin_upload_is_403_and_nothing_is_read(api: httpx.AsyncClient, user_token: str) -> None:
    body = CountingBody(CREATIVE_FIELDS, 2 * 1024 * 1024)
    response = await api.post("/api/v1/benchmarks", headers={**_content_type(), **bearer(user_token)}, content=body)
    assert response.status_code == 403
    assert body.chunks_pulled <= 1 and body.bytes_pulled < 1024


@pytest.mark.parametrize("route", [*ROUTES, "/api/v1/benchmarks"])
async def test_declared_length_over_the_limit_is_413_before_reading(
    api: httpx.AsyncClient, stack_settings: Settings, admin_token: str, route: str
) -> None:
    token = admin_token if route.endswith("benchmarks") else issue_token(stack_settings, f"big-{uuid.uuid4().hex[:6]}")
    body = CountingBody(ROUTES.get(route, CREATIVE_FIELDS), 64 * 1024 * 1024)
    headers = {**_content_type(), **bearer(token), "Content-Length": str(body.length)}
    response = await api.post(route, headers=headers, content=body)
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    assert body.chunks_pulled <= 1 and body.bytes_pulled < 1024


BIG_LIMIT = 12 * 1024 * 1024  # above S3's 5 MiB part: the cut-off aborts a multipart upload already under way


@pytest.fixture(scope="module")
async def big_app(stack_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(stack_settings.model_copy(update={"max_video_bytes": BIG_LIMIT}))
    async with application.router.lifespan_context(application):
        yield application


@pytest.mark.parametrize("route", list(ROUTES))
async def test_chunked_body_over_the_limit_is_cut_off_and_leaves_nothing(
    big_app: FastAPI, stack_settings: Settings, s3: Any, route: str
) -> None:
    user = f"chunked-{uuid.uuid4().hex[:8]}"
    body = CountingBody(ROUTES[route], 64 * 1024 * 1024)  # no Content-Length: Transfer-Encoding chunked
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=big_app), base_url="http://test") as api:
        response = await api.post(
            route, headers={**_content_type(), **bearer(issue_token(stack_settings, user))}, content=body
        )
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    # read up to the limit, not the 64 MiB sent
    assert BIG_LIMIT < body.bytes_pulled <= BIG_LIMIT + FORM_OVERHEAD_BYTES + 2 * CHUNK
    folder = "videos" if route.endswith("creatives") else "assets"
    assert await _leftovers(s3, stack_settings, f"{folder}/client_{keys.owner_segment(user)}/") == []


async def test_fields_go_before_the_file_and_are_checked_first(
    api: httpx.AsyncClient, stack_settings: Settings
) -> None:
    token = issue_token(stack_settings, f"fields-{uuid.uuid4().hex[:6]}")
    body = CountingBody({"product_category": "skincare"}, 2 * 1024 * 1024)  # creative_name missing
    response = await api.post("/api/v1/creatives", headers={**_content_type(), **bearer(token)}, content=body)
    assert response.status_code == 422
    assert "creative_name" in response.text
    assert body.bytes_pulled < 64 * 1024  # refused before the file's bytes
    # a field after the file is refused, and the file it followed is not kept
    late = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'.encode()
        + MP4_HEAD
        + f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="creative_name"\r\n\r\nlate\r\n'.encode()
        + f"--{BOUNDARY}--\r\n".encode()
    )
    form = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="creative_name"\r\n\r\nx\r\n'
    form += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="product_category"\r\n\r\ny\r\n'
    response = await api.post(
        "/api/v1/creatives", headers={**_content_type(), **bearer(token)}, content=form.encode() + late
    )
    assert response.status_code == 422 and "last part" in response.text
    # not multipart at all
    response = await api.post("/api/v1/creatives", headers=bearer(token), json=CREATIVE_FIELDS)
    assert response.status_code == 415


@pytest.fixture
async def capped_app(stack_settings: Settings) -> AsyncIterator[FastAPI]:
    settings = stack_settings.model_copy(
        update={"daily_uploads_per_client": 2, "daily_upload_bytes_per_client": 3 * 1024 * 1024}
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_the_day_s_uploads_past_the_cap_are_429_before_reading(
    capped_app: FastAPI, stack_settings: Settings, admin_token: str
) -> None:
    user, other = (f"capped-{uuid.uuid4().hex[:8]}" for _ in range(2))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=capped_app), base_url="http://test") as api:

        async def upload(token: str, content: bytes) -> httpx.Response:
            return await api.post(
                "/api/v1/creatives", headers=bearer(token), data=CREATIVE_FIELDS, files={"file": ("a.txt", content)}
            )

        token = issue_token(stack_settings, user)
        # every attempt counts, a refused one too
        assert (await upload(token, b"just some notes")).status_code == 415
        assert (await upload(token, b"more notes")).status_code == 415
        body = CountingBody(CREATIVE_FIELDS, 1024)
        refused = await api.post("/api/v1/creatives", headers={**_content_type(), **bearer(token)}, content=body)
        assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
        retry_after = int(refused.headers["Retry-After"])
        assert abs(retry_after - seconds_until_reset(datetime.now(UTC))) <= 5 and 0 < retry_after <= 86_400
        assert body.chunks_pulled <= 1 and body.bytes_pulled < 1024
        # the direct path shares the cap
        start = {"purpose": "creative", "filename": "a.mp4", "size_bytes": 1000, **CREATIVE_FIELDS}
        assert (await api.post("/api/v1/uploads", headers=bearer(token), json=start)).status_code == 429
        # another client has its own count; a declared size past its bytes cap is 429 too
        other_token = issue_token(stack_settings, other)
        assert (await upload(other_token, b"notes")).status_code == 415
        too_many_bytes = {**start, "size_bytes": 3 * 1024 * 1024}
        response = await api.post("/api/v1/uploads", headers=bearer(other_token), json=too_many_bytes)
        assert response.status_code == 429 and "bytes" in response.json()["detail"]
        # the refused request counted nothing: the next small upload is not capped
        assert (await upload(other_token, b"notes again")).status_code == 415
        # admins are exempt
        for _ in range(3):
            assert (await upload(admin_token, b"admin notes")).status_code == 415


@pytest.fixture
async def analysis_capped_app(stack_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(stack_settings.model_copy(update={"daily_analyses_per_client": 1}))
    async with application.router.lifespan_context(application):
        yield application


@pytest.mark.usefixtures("worker")
async def test_paid_analyses_past_the_cap_are_429_and_the_report_is_not_kept(
    analysis_capped_app: FastAPI, stack_settings: Settings, admin_token: str, media_dir: Path
) -> None:
    token = issue_token(stack_settings, f"analyses-{uuid.uuid4().hex[:8]}")
    video = make_test_video(media_dir / "capped-analysis.mp4", duration_s=4.0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=analysis_capped_app), base_url="http://test") as api:
        creatives = []
        for name in ("first", "second"):
            with video.open("rb") as handle:
                created = await api.post(
                    "/api/v1/creatives",
                    headers=bearer(token),
                    data={**CREATIVE_FIELDS, "creative_name": name},
                    files={"file": ("v.mp4", handle)},
                )
            assert created.status_code == 201, created.text
            creatives.append(created.json()["creative_id"])

        async def report(token: str, creative_id: str, event: str, conversions: int) -> httpx.Response:
            body = {"event_id": event, "impressions": 100, "clicks": 20, "conversions": conversions}
            return await api.post(f"/api/v1/creatives/{creative_id}/performance", headers=bearer(token), json=body)

        first, second = creatives
        assert (await report(token, first, "a", 5)).status_code == 200  # the day's one analysis
        assert (await report(token, second, "a", 4)).status_code == 200  # below the trigger: not an analysis
        refused = await report(token, second, "b", 1)  # the 5th conversion would start a second one
        assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
        assert 0 < int(refused.headers["Retry-After"]) <= 86_400
        kept = (await api.get(f"/api/v1/creatives/{second}", headers=bearer(token))).json()
        assert kept["conversions"] == 4 and kept["impressions"] == 100  # nothing of the refused report
        # an admin is exempt; the same event_id then counts once
        assert (await report(admin_token, second, "b", 1)).json()["conversions"] == 5
        assert (await report(token, second, "b", 1)).json()["counted"] is False
