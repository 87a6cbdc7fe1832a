"""Work survives a `kill -9` of the worker inside each kind of activity, and PostgreSQL and S3 restarts mid-flow:
the workflow completes and leaves exactly one of everything (rows, objects, paid Claude calls)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.auth import issue_token
from api.main import create_app
from clients import connect_temporal, s3_client
from devstack import DevStack
from devstack.process import free_port
from devstack.samples import make_test_video
from devstack.services import s3_ready
from models.db import make_engine
from models.migrate import upgrade_head
from models.tables import Clip, Creative, CreativeAnalysis, PatternPerformance
from settings import Settings
from tests.conftest import TEST_JWT_AUDIENCE, TEST_JWT_ISSUER, bearer
from tests.e2e.kill_rig import Rig, failed_once, held_requests, lock_waited, storage_request, until
from tests.e2e.up_helpers import s3_port_below_ephemeral
from tests.media.fault_proxy import fault_server
from tests.support.fake_anthropic import FakeAnthropic, Reply
from tests.support.fileserver import serve_directory

FIELDS: dict[str, Any] = {
    "creative_name": "Kill serum", "product_category": "kills", "source_platform": "tiktok", "market_cvr": 0.05,
    "market_longevity_days": 30, "avg_daily_clicks": 1000, "hook_type": "question", "emotion": "curiosity",
    "pacing": "fast", "target_audience_pain": "dull skin",
}  # fmt: skip


@pytest.fixture(scope="module")
def kill_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevStack, Settings, Path]]:
    """A stack apart from the session's: these tests stop its services and kill its worker."""
    root = tmp_path_factory.mktemp("kill-stack")
    base = Settings(
        _env_file=None, data_dir=root / "data", temporal_port=free_port(), temporal_ui_port=free_port(),
        meta_fake_port=free_port(),
        s3_port=s3_port_below_ephemeral(), jwt_secret=secrets.token_urlsafe(48), jwt_audience=TEST_JWT_AUDIENCE,
        jwt_issuer=TEST_JWT_ISSUER, anthropic_api_key="fake-key", vision_backend="anthropic",
    )  # fmt: skip
    stack = DevStack(base, headless=True)
    env = stack.start()
    try:
        upgrade_head(env["DATABASE_URL"])
        make_test_video(root / "media" / "ad.mp4", duration_s=6.0)
        make_test_video(root / "media" / "wide.mp4", duration_s=8.0, width=640, height=360)  # the crop is encoded
        yield stack, base.model_copy(update={name.lower(): value for name, value in env.items()}), root
    finally:
        stack.stop()


@pytest.fixture(scope="module")
async def rig(kill_stack: tuple[DevStack, Settings, Path]) -> AsyncIterator[Rig]:
    stack, direct, root = kill_stack
    with fault_server(upstream=direct.r2_endpoint_url) as (proxy, faults), FakeAnthropic() as fake:
        settings = direct.model_copy(update={"r2_endpoint_url": proxy, "anthropic_base_url": fake.base_url})
        engine = make_engine(settings.database_url or "", pool_size=2)
        rig = Rig(stack, settings, await connect_temporal(settings), engine, faults, fake, root / "worker.log")
        rig.start_worker()
        try:
            yield rig
        finally:
            faults.release()
            await rig.unlock()
            rig.stop_worker()
            await engine.dispose()


@pytest.fixture(scope="module")
async def api(rig: Rig, kill_stack: tuple[DevStack, Settings, Path]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(rig.settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


@pytest.fixture(scope="module")
def origin(kill_stack: tuple[DevStack, Settings, Path]) -> Iterator[str]:
    with serve_directory(kill_stack[2] / "media") as url:
        yield url


async def _ingest(api: httpx.AsyncClient, rig: Rig, origin: str) -> tuple[str, uuid.UUID]:
    token = issue_token(rig.settings, "kill-admin", admin=True)
    body = {**FIELDS, "video_url": f"{origin}/ad.mp4"}
    started = await api.post("/api/v1/benchmarks", headers=bearer(token), json=body)
    assert started.status_code == 202, started.text
    return started.json()["workflow_id"], uuid.UUID(started.json()["creative_id"])


async def _analysed_once(
    rig: Rig, workflow_id: str, creative_id: uuid.UUID, claude_calls: int, calls_before: int
) -> None:
    """The ingest and its analysis completed, with one creative, pattern row, analysis and public object."""
    await rig.client.get_workflow_handle(workflow_id).result()

    async def analysed() -> bool:
        async with rig.engine.connect() as connection:
            status = await connection.scalar(select(Creative.analysis_status).where(Creative.id == creative_id))
        return status == "analyzed"

    try:
        await until(analysed, "the analysis")
    except AssertionError:
        async with rig.engine.connect() as connection:
            row = (await connection.execute(select(Creative).where(Creative.id == creative_id))).first()
        description = await rig.client.get_workflow_handle(f"creative-{creative_id}").describe()
        raise AssertionError(f"{row}\n{description.raw_description}\n{rig.log.read_text()[-4000:]}") from None
    async with rig.engine.connect() as connection:
        counts = [
            await connection.scalar(select(func.count()).select_from(table).where(column == creative_id))
            for table, column in (
                (Creative, Creative.id),
                (PatternPerformance, PatternPerformance.creative_id),
                (CreativeAnalysis, CreativeAnalysis.creative_id),
            )
        ]
    assert counts == [1, 1, 1]
    assert len(rig.fake.requests) - calls_before == claude_calls  # one test at a time: all calls are this one's
    async with s3_client(rig.settings) as s3:
        public = await s3.list_objects_v2(Bucket="market-benchmarks", Prefix=f"benchmarks/{creative_id}")
        staged = await s3.list_objects_v2(Bucket="client-assets", Prefix=f"staging/benchmarks/{creative_id}")
    assert [item["Key"] for item in public.get("Contents", [])] == [f"benchmarks/{creative_id}.mp4"]
    assert staged.get("KeyCount", 0) == 0


# activity, what holds the worker inside it (a storage request of the ingest or its analysis)
STORAGE_HOLDS = {
    "fetch_video": storage_request("PUT", "/staging/benchmarks/", ffmpeg=False),
    "probe_video": storage_request("GET", "/staging/benchmarks/", ffmpeg=True),
    "extract_frames": storage_request("PUT", "/frames/", ffmpeg=False),
}


@pytest.mark.parametrize("activity_type", list(STORAGE_HOLDS))
async def test_killed_inside_a_media_step_the_ingest_completes_once(
    rig: Rig, api: httpx.AsyncClient, origin: str, activity_type: str
) -> None:
    calls = len(rig.fake.requests)
    rig.faults.hold(STORAGE_HOLDS[activity_type])
    workflow_id, creative_id = await _ingest(api, rig, origin)
    target = workflow_id if activity_type != "extract_frames" else f"creative-{creative_id}"
    await rig.kill_inside(target, activity_type, held_requests(rig))
    await _analysed_once(rig, workflow_id, creative_id, claude_calls=1, calls_before=calls)


async def test_killed_during_the_claude_call_the_analysis_completes_once(
    rig: Rig, api: httpx.AsyncClient, origin: str
) -> None:
    calls = len(rig.fake.requests)
    rig.fake.enqueue(Reply(delay_s=30))  # an answer the killed worker never gets
    workflow_id, creative_id = await _ingest(api, rig, origin)

    async def asked() -> bool:
        return len(rig.fake.requests) > calls

    await rig.kill_inside(f"creative-{creative_id}", "analyze_frames", asked)
    # the call the kill cut off is made again, once: no answer was ever received, so none could be kept
    await _analysed_once(rig, workflow_id, creative_id, claude_calls=2, calls_before=calls)


async def test_killed_while_recording_the_analysis_claude_is_not_asked_again(
    rig: Rig, api: httpx.AsyncClient, origin: str
) -> None:
    calls = len(rig.fake.requests)
    rig.fake.enqueue(Reply(delay_s=2))  # time to take the lock before the answer comes
    workflow_id, creative_id = await _ingest(api, rig, origin)

    async def asked() -> bool:
        return len(rig.fake.requests) > calls

    await until(asked, "the Claude call")
    # NO KEY UPDATE: the paid answer's row (a foreign key's KEY SHARE) goes in, apply_analysis' FOR UPDATE waits
    await rig.lock("SELECT id FROM creatives WHERE id = :id FOR NO KEY UPDATE", id=creative_id)

    await rig.kill_inside(f"creative-{creative_id}", "apply_analysis", lock_waited(rig))
    await _analysed_once(rig, workflow_id, creative_id, claude_calls=1, calls_before=calls)


async def test_killed_while_recording_the_benchmark_the_ingest_completes_once(
    rig: Rig, api: httpx.AsyncClient, origin: str
) -> None:
    calls = len(rig.fake.requests)
    await rig.lock("LOCK TABLE pattern_performance IN SHARE ROW EXCLUSIVE MODE")  # reads pass, writes wait
    workflow_id, creative_id = await _ingest(api, rig, origin)

    await rig.kill_inside(workflow_id, "upsert_benchmark", lock_waited(rig))
    await _analysed_once(rig, workflow_id, creative_id, claude_calls=1, calls_before=calls)


async def _prepare(api: httpx.AsyncClient, rig: Rig, video: Path) -> dict[str, Any]:
    token, body = issue_token(rig.settings, "kill-clipper"), await asyncio.to_thread(video.read_bytes)
    response = await api.post(
        "/api/v1/video-assets", headers=bearer(token), files={"file": (video.name, body)},
        data={"name": "kill", "product_category": "kills"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _clipped_once(rig: Rig, started: dict[str, Any]) -> None:
    result = await rig.client.get_workflow_handle(started["workflow_id"]).result()
    assert result["clips_ready"] >= 1 and result["clips_failed"] == 0, result
    asset_id = uuid.UUID(started["video_asset_id"])
    async with rig.engine.connect() as connection:
        rows = (await connection.execute(select(Clip).where(Clip.video_asset_id == asset_id))).all()
    assert len(rows) == result["clips_ready"] == len({(row.start_s, row.end_s, row.variant) for row in rows})
    async with s3_client(rig.settings) as s3:
        objects = await s3.list_objects_v2(Bucket="client-assets", Prefix=f"clips/{asset_id}/")
        work = await s3.list_objects_v2(Bucket="client-assets", Prefix="assets/")
    assert objects.get("KeyCount", 0) == len(rows)
    assert not [item["Key"] for item in work.get("Contents", []) if f"{asset_id}.mp4.shots" in item["Key"]]


CLIP_HOLDS = {
    "detect_shots": storage_request("PUT", ".shots/", ffmpeg=False),
    "cut_clip": storage_request("PUT", "/clips/", ffmpeg=False),
}


@pytest.mark.parametrize("activity_type", [*CLIP_HOLDS, "record_clip"])
async def test_killed_inside_a_clip_step_the_clips_are_made_once(
    rig: Rig, api: httpx.AsyncClient, kill_stack: tuple[DevStack, Settings, Path], activity_type: str
) -> None:
    if activity_type == "record_clip":
        await rig.lock("LOCK TABLE clips IN SHARE ROW EXCLUSIVE MODE")
        held: Callable[[], Awaitable[bool]] = lock_waited(rig)
    else:
        rig.faults.hold(CLIP_HOLDS[activity_type])
        held = held_requests(rig)
    started = await _prepare(api, rig, kill_stack[2] / "media" / "wide.mp4")
    await rig.kill_inside(started["workflow_id"], activity_type, held)
    await _clipped_once(rig, started)


# last in the module: they restart this stack's services under the running worker


async def test_s3_restarted_mid_ingest_the_ingest_completes_once(rig: Rig, api: httpx.AsyncClient, origin: str) -> None:
    calls = len(rig.fake.requests)
    rig.faults.hold(STORAGE_HOLDS["fetch_video"])
    workflow_id, creative_id = await _ingest(api, rig, origin)
    await until(held_requests(rig), "the fetch's upload")
    s3 = rig.s3_process()
    s3.stop()
    rig.faults.release()  # the held upload meets the outage
    await until(failed_once(rig, workflow_id, "fetch_video"), "the fetch failing on the outage")
    s3.start()
    s3.wait_ready(lambda: s3_ready(rig.stack.settings.s3_port), 60)
    await _analysed_once(rig, workflow_id, creative_id, claude_calls=1, calls_before=calls)


async def test_postgres_restarted_mid_ingest_the_ingest_completes_once(
    rig: Rig, api: httpx.AsyncClient, origin: str
) -> None:
    calls = len(rig.fake.requests)
    rig.faults.hold(STORAGE_HOLDS["probe_video"])
    workflow_id, creative_id = await _ingest(api, rig, origin)
    await until(held_requests(rig), "the probe")
    rig.stop_postgres()
    rig.faults.release()  # the probe ends; the benchmark's record meets the outage
    await until(failed_once(rig, workflow_id, "upsert_benchmark"), "the record failing on the outage")
    await rig.start_postgres()
    await _analysed_once(rig, workflow_id, creative_id, claude_calls=1, calls_before=calls)
