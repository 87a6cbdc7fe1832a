"""The whole benchmark ingest on the real stack: API → IngestBenchmarkWorkflow → S3 + PostgreSQL."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer

from devstack.samples import make_audio_only, make_test_video, make_text_file, make_truncated_copy
from models.db import make_engine, make_sessionmaker
from models.tables import Creative, PatternPerformance
from settings import Settings
from tests.conftest import TEST_MAX_VIDEO_BYTES, bearer
from workflows.catalog import ALL_WORKFLOWS

pytestmark = pytest.mark.usefixtures("worker")


def _fields(category: str, **overrides: Any) -> dict[str, Any]:
    fields = {
        "creative_name": "Glow serum — morning routine",
        "product_category": category,
        "source_platform": "tiktok",
        "market_cvr": 0.05,
        "market_longevity_days": 30,
        "avg_daily_clicks": 1000,
        "hook_type": "question",
        "emotion": "curiosity",
        "pacing": "fast",
        "target_audience_pain": "dull skin in the morning",
    }
    fields.update(overrides)
    return fields


@pytest.fixture(scope="module")
def videos(media_dir: Path) -> dict[str, Path]:
    good = make_test_video(media_dir / "good.mp4", duration_s=4.0)
    slow_start = make_test_video(media_dir / "moov-at-end.mp4", duration_s=4.0, faststart=False)
    big = media_dir / "big.mp4"
    big.write_bytes(b"\0" * (TEST_MAX_VIDEO_BYTES + 1024 * 1024))
    (media_dir / "empty.mp4").write_bytes(b"")
    # playlists that would make FFmpeg read the worker's own files, were it not for the whitelists
    hls = f"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nfile://{good}\n#EXT-X-ENDLIST\n"
    (media_dir / "local.m3u8").write_text(hls)
    (media_dir / "local.ffconcat").write_text(f"ffconcat version 1.0\nfile 'file:{good}'\n")
    return {
        "good": good,
        "text": make_text_file(media_dir / "notes.mp4"),
        "empty": media_dir / "empty.mp4",
        "truncated": make_truncated_copy(good, media_dir / "truncated.mp4", keep_fraction=0.5),
        "truncated_moov_at_end": make_truncated_copy(slow_start, media_dir / "truncated-end.mp4", keep_fraction=0.6),
        "audio_only": make_audio_only(media_dir / "voice.mp4"),
        "big": big,
    }


async def _db_counts(settings: Settings, creative_id: uuid.UUID) -> tuple[Creative | None, int]:
    engine = make_engine(settings.database_url or "", pool_size=1)
    async with make_sessionmaker(engine)() as session:
        creative = await session.get(Creative, creative_id)
        patterns = await session.scalar(
            select(func.count()).select_from(PatternPerformance).where(PatternPerformance.creative_id == creative_id)
        )
    await engine.dispose()
    return creative, patterns or 0


async def _object_keys(s3: Any, settings: Settings, creative_id: uuid.UUID) -> list[str]:
    keys = []
    for bucket, prefix in (
        (settings.r2_market_benchmarks_bucket, f"benchmarks/{creative_id}"),
        (settings.r2_client_assets_bucket, f"staging/benchmarks/{creative_id}"),
    ):
        listing = await s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        keys += [f"{bucket}/{item['Key']}" for item in listing.get("Contents", [])]
    return keys


async def _ingest_url(api: httpx.AsyncClient, token: str, url: str, **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/v1/benchmarks", headers=bearer(token), json={**fields, "video_url": url})
    assert response.status_code == 202, response.text
    return response.json()


async def test_ingest_from_url_end_to_end(
    api: httpx.AsyncClient, admin_token: str, user_token: str, temporal: Client, s3: Any,
    stack_settings: Settings, videos: dict[str, Path], file_server: str,
) -> None:  # fmt: skip
    category = f"skincare-{uuid.uuid4().hex[:8]}"
    started = await _ingest_url(api, admin_token, f"{file_server}/good.mp4", **_fields(category))
    result = await temporal.get_workflow_handle(started["workflow_id"]).result()
    assert result["bayesian_alpha"] == pytest.approx(51) and result["bayesian_beta"] == pytest.approx(951)

    library = (await api.get("/api/v1/creatives/benchmarks", params={"product_category": category})).json()
    assert library["total"] == 1
    item = library["items"][0]
    assert item["creative_id"] == started["creative_id"]
    assert (item["bayesian_alpha"], item["bayesian_beta"]) == (pytest.approx(51), pytest.approx(951))
    assert item["market_cvr"] == 0.05 and item["hook_type"] == "question"
    assert item["duration_s"] == pytest.approx(4.0, abs=0.2)

    # anonymous read of the public object, with its market metadata
    async with httpx.AsyncClient() as anonymous:
        public = await anonymous.get(item["video_url"])
    assert public.status_code == 200
    assert hashlib.sha256(public.content).hexdigest() == hashlib.sha256(videos["good"].read_bytes()).hexdigest()
    assert public.headers["x-amz-meta-source_platform"] == "tiktok"
    assert public.headers["x-amz-meta-market_cvr"] == "0.05"
    assert public.headers["x-amz-meta-market_longevity_days"] == "30"
    assert item["video_url"].endswith(f"/benchmarks/{started['creative_id']}.mp4")

    # its analysis workflow was started at once
    analysis = await temporal.get_workflow_handle(f"creative-{started['creative_id']}").describe()
    assert analysis.workflow_type == "AnalyzeCreativeWorkflow"

    polled = (await api.get(f"/api/v1/workflows/{started['workflow_id']}", headers=bearer(admin_token))).json()
    assert polled["status"] == "COMPLETED" and polled["result"]["creative_id"] == started["creative_id"]
    # another (non-admin) user cannot read the admin's workflow
    other = await api.get(f"/api/v1/workflows/{started['workflow_id']}", headers=bearer(user_token))
    assert other.status_code == 404


async def test_ingest_from_uploaded_file(
    api: httpx.AsyncClient,
    admin_token: str,
    temporal: Client,
    stack_settings: Settings,
    videos: dict[str, Path],
) -> None:
    category = f"fitness-{uuid.uuid4().hex[:8]}"
    with videos["good"].open("rb") as handle:
        response = await api.post(
            "/api/v1/benchmarks",
            headers=bearer(admin_token),
            data={k: str(v) for k, v in _fields(category, market_longevity_days=10, avg_daily_clicks=20).items()},
            files={"file": ("My Ad (final).mp4", handle, "video/mp4")},
        )
    assert response.status_code == 202, response.text
    started = response.json()
    await temporal.get_workflow_handle(started["workflow_id"]).result()
    creative, patterns = await _db_counts(stack_settings, uuid.UUID(started["creative_id"]))
    assert creative is not None and creative.status == "ready" and patterns == 1
    assert creative.original_filename == "My Ad (final).mp4"
    assert creative.video_key == f"r2://market-benchmarks/benchmarks/{started['creative_id']}.mp4"
    assert creative.sha256 == hashlib.sha256(videos["good"].read_bytes()).hexdigest()


async def test_same_ingest_twice_leaves_one_of_everything(
    api: httpx.AsyncClient, admin_token: str, temporal: Client, s3: Any,
    stack_settings: Settings, videos: dict[str, Path], file_server: str,
) -> None:  # fmt: skip
    creative_id = str(uuid.uuid4())
    fields = _fields(f"saas-{uuid.uuid4().hex[:8]}", creative_id=creative_id)
    for _ in range(2):
        started = await _ingest_url(api, admin_token, f"{file_server}/good.mp4", **fields)
        assert started["creative_id"] == creative_id
        await temporal.get_workflow_handle(started["workflow_id"]).result()
    creative, patterns = await _db_counts(stack_settings, uuid.UUID(creative_id))
    assert creative is not None and creative.status == "ready"
    assert patterns == 1
    assert await _object_keys(s3, stack_settings, uuid.UUID(creative_id)) == [
        f"market-benchmarks/benchmarks/{creative_id}.mp4"
    ]


BAD_URLS = {
    "text file named .mp4": ("text.mp4", "notes.mp4", "InvalidVideo", "not a readable video"),
    "empty file": ("empty", "empty.mp4", "InvalidVideo", "empty"),
    "truncated mp4": ("truncated", "truncated.mp4", "InvalidVideo", "truncated"),
    "truncated mp4, index at the end": (
        "truncated",
        "truncated-end.mp4",
        "InvalidVideo",
        "not a readable video",
    ),
    "audio-only file": ("audio", "voice.mp4", "InvalidVideo", "audio-only"),
    "URL answering 404": ("missing", "no-such-file.mp4", "InvalidSource", "404"),
    "over the size limit (declared)": ("big", "big.mp4", "VideoTooLarge", "limit"),
    "over the size limit (streamed)": ("big", "chunked/big.mp4", "VideoTooLarge", "limit"),
    "redirect to file://": ("redirect", "redirect-to-file", "InvalidSource", "refused"),
    # private addresses: only 127.0.0.1 and localhost are allowed (URL_FETCH_ALLOWED_HOSTS, tests/conftest.py)
    "metadata address": ("ssrf", "http://169.254.169.254/latest/meta-data/", "InvalidSource", "refused"),
    "loopback by another name": ("ssrf", "http://127.1.2.3:{port}/good.mp4", "InvalidSource", "refused"),
    "IPv6 loopback": ("ssrf", "http://[::1]:{port}/good.mp4", "InvalidSource", "refused"),
    "redirect to the metadata address": (
        "ssrf",
        "redirect?to=http%3A//169.254.169.254/latest/meta-data/",
        "InvalidSource",
        "refused",
    ),
    "redirect to a private network": ("ssrf", "redirect?to=http%3A//10.0.0.7/a.mp4", "InvalidSource", "refused"),
    # staged under a key without an extension, served as octet-stream: FFmpeg does not even take it for HLS
    "HLS playlist of local files": ("playlist", "local.m3u8", "InvalidVideo", "not a readable video file"),
    "concat list of local files": ("playlist", "local.ffconcat", "InvalidVideo", "not a supported video file"),
}


@pytest.mark.parametrize("case", list(BAD_URLS))
async def test_bad_inputs_fail_cleanly_without_orphans(
    api: httpx.AsyncClient, admin_token: str, temporal: Client, s3: Any,
    stack_settings: Settings, videos: dict[str, Path], file_server: str, case: str,
) -> None:  # fmt: skip
    _, path, error_type, reason = BAD_URLS[case]
    port = httpx.URL(file_server).port
    url = path.format(port=port) if "://" in path.partition("?")[0] else f"{file_server}/{path}"
    started = await _ingest_url(api, admin_token, url, **_fields("bad-inputs"))
    with pytest.raises(WorkflowFailureError) as failure:
        await temporal.get_workflow_handle(started["workflow_id"]).result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_type, cause
    assert reason in cause.message

    creative_id = uuid.UUID(started["creative_id"])
    creative, patterns = await _db_counts(stack_settings, creative_id)
    assert creative is not None and creative.status == "failed" and reason in (creative.failure_reason or "")
    assert patterns == 0
    assert await _object_keys(s3, stack_settings, creative_id) == []
    polled = (await api.get(f"/api/v1/workflows/{started['workflow_id']}", headers=bearer(admin_token))).json()
    assert polled["status"] == "FAILED" and polled["failure"]["type"] == error_type


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"video_url": "file:///etc/passwd"}, "video_url"),
        ({"video_url": "ftp://example.com/a.mp4"}, "video_url"),
        ({"market_cvr": 1.5}, "market_cvr"),
        ({"market_longevity_days": 0}, "market_longevity_days"),
        ({"avg_daily_clicks": -3}, "avg_daily_clicks"),
        ({"creative_name": ""}, "creative_name"),
    ],
)
async def test_invalid_request_is_422_naming_the_field(
    api: httpx.AsyncClient, admin_token: str, override: dict[str, Any], field: str
) -> None:
    body = {**_fields("x"), "video_url": "http://127.0.0.1:9/a.mp4", **override}
    response = await api.post("/api/v1/benchmarks", headers=bearer(admin_token), json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert field in [problem["field"] for problem in response.json()["detail"]]


async def test_ingest_history_replays(
    api: httpx.AsyncClient, admin_token: str, temporal: Client, file_server: str, videos: dict[str, Path]
) -> None:
    ok = await _ingest_url(api, admin_token, f"{file_server}/good.mp4", **_fields("replay"))
    bad = await _ingest_url(api, admin_token, f"{file_server}/notes.mp4", **_fields("replay"))
    for started in (ok, bad):
        handle = temporal.get_workflow_handle(started["workflow_id"])
        with contextlib.suppress(WorkflowFailureError):
            await handle.result()
        history = await handle.fetch_history()
        await Replayer(workflows=ALL_WORKFLOWS, data_converter=temporal.data_converter).replay_workflow(history)
