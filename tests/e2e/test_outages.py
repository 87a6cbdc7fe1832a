"""Real outages on a stack of this module's own: the database, S3 and Temporal each stopped and started
again under a running API, which answers 503 + Retry-After naming the one that is down, never 500."""

from __future__ import annotations

import secrets
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from api.auth import issue_token
from api.main import create_app
from devstack import DevStack
from devstack.process import ManagedProcess, free_port
from models.db import make_engine, make_sessionmaker
from models.migrate import upgrade_head
from models.tables import Clip, Creative, VideoAsset
from settings import Settings
from tests.conftest import TEST_JWT_AUDIENCE, TEST_JWT_ISSUER, bearer
from tests.e2e.up_helpers import s3_port_below_ephemeral

# the first bytes of an MP4: the upload's sniffing passes and the bytes go on to the bucket
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 1000


@dataclass
class Outages:
    stack: DevStack
    settings: Settings
    api: httpx.AsyncClient
    owner: str
    admin: str
    benchmark_id: uuid.UUID
    private_id: uuid.UUID
    asset_id: uuid.UUID

    def process(self, name: str) -> ManagedProcess:
        return next(proc for proc in self.stack.started if proc.name.startswith(name))

    def stop_postgres(self) -> None:
        # what `pg_ctl stop -m fast` does: SIGINT to the postmaster, which ends every session and exits
        server = self.stack.postgres._server if self.stack.postgres else None
        postmaster = server.get_postmaster_info().process if server else None
        assert postmaster is not None
        postmaster.send_signal(signal.SIGINT)
        postmaster.wait(30)

    def start_postgres(self) -> None:
        assert self.stack.postgres is not None
        self.stack.postgres.restart()


@pytest.fixture(scope="module")
def outage_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevStack, Settings]]:
    """A stack apart from the session's: stopping its services breaks no other test. No worker runs."""
    base = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("outage-stack"),
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        meta_fake_port=free_port(),  # a `make run` on this machine holds the default
        # below the ephemeral range, so the restarted SeaweedFS finds its ports still free
        s3_port=s3_port_below_ephemeral(),
        jwt_secret=secrets.token_urlsafe(48),
        jwt_audience=TEST_JWT_AUDIENCE,
        jwt_issuer=TEST_JWT_ISSUER,
        api_workflow_wait_seconds=1.0,
    )
    stack = DevStack(base, headless=True)
    env = stack.start()
    try:
        upgrade_head(env["DATABASE_URL"])
        yield stack, base.model_copy(update={name.lower(): value for name, value in env.items()})
    finally:
        stack.stop()


@pytest.fixture(scope="module")
async def outages(outage_stack: tuple[DevStack, Settings]) -> AsyncIterator[Outages]:
    stack, settings = outage_stack
    owner, admin = "outage-owner", "outage-admin"
    benchmark_id, private_id, asset_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = make_engine(settings.database_url or "")
    async with make_sessionmaker(engine)() as session:
        common = {"product_category": "skincare", "status": "ready", "tags": []}
        session.add_all(
            [
                Creative(
                    id=benchmark_id, name="benchmark", owner_id=None, is_benchmark=True, is_public=True,
                    video_key=f"r2://{settings.r2_market_benchmarks_bucket}/benchmarks/{benchmark_id}.mp4", **common,
                ),
                Creative(
                    id=private_id, name="private", owner_id=owner, is_benchmark=False, is_public=False,
                    video_key=f"r2://{settings.r2_client_assets_bucket}/videos/{private_id}.mp4", **common,
                ),
                VideoAsset(id=asset_id, owner_id=owner, name="asset", product_category="skincare", status="ready"),
            ]
        )  # fmt: skip
        await session.flush()
        session.add(Clip(id=uuid.uuid4(), video_asset_id=asset_id, status="READY", start_s=0.0, end_s=8.0))
        await session.commit()
    await engine.dispose()
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        # a 500 comes back as a response, so an assertion shows its body instead of the exception
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
            yield Outages(
                stack, settings, client, issue_token(settings, owner), issue_token(settings, admin, admin=True),
                benchmark_id, private_id, asset_id,
            )  # fmt: skip


def _assert_unavailable(response: httpx.Response, component: str) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "service_unavailable"
    assert component in body["detail"].lower(), body
    assert int(response.headers["retry-after"]) > 0


async def test_database_outage_answers_503_then_recovers(outages: Outages) -> None:
    api, token = outages.api, bearer(outages.owner)
    paths = [
        f"/api/v1/creatives/video-access/{outages.benchmark_id}",
        f"/api/v1/creatives/{outages.private_id}",
        "/api/v1/creatives/benchmarks?product_category=skincare",
    ]
    for path in paths:
        assert (await api.get(path, headers=token)).status_code == 200
    outages.stop_postgres()
    try:
        for path in paths:
            _assert_unavailable(await api.get(path, headers=token), "database")
        _assert_unavailable(await api.get(paths[0], headers=token), "database")  # again: the pool is no better
    finally:
        outages.start_postgres()
    for path in paths:
        response = await api.get(path, headers=token)
        assert response.status_code == 200, response.text


async def test_temporal_outage_answers_503_then_recovers(outages: Outages) -> None:
    api = outages.api
    body = {"creative_id": str(outages.benchmark_id)}
    missing = await api.get("/api/v1/workflows/creative-none", headers=bearer(outages.admin))
    assert missing.status_code == 404, missing.text  # the client is connected before the outage
    temporal = outages.process("Temporal")
    temporal.stop()
    try:
        _assert_unavailable(
            await api.post("/api/v1/creatives/force-analyze", headers=bearer(outages.admin), json=body), "temporal"
        )
        _assert_unavailable(
            await api.get(f"/api/v1/workflows/creative-{outages.benchmark_id}", headers=bearer(outages.admin)),
            "temporal",
        )
    finally:
        temporal.start()
        temporal.wait_ready(lambda: _port_open(outages.settings.temporal_port), 60)
    response = await api.post("/api/v1/creatives/force-analyze", headers=bearer(outages.admin), json=body)
    assert response.status_code == 202, response.text


async def test_storage_outage_answers_503_then_recovers(outages: Outages) -> None:
    api, token = outages.api, bearer(outages.owner)
    form = {"creative_name": "outage", "product_category": "skincare"}
    s3 = outages.process("S3")
    s3.stop()
    try:
        response = await api.post(
            "/api/v1/creatives", headers=token, data=form, files={"file": ("a.mp4", MP4_HEAD, "video/mp4")}
        )
        _assert_unavailable(response, "storage")
        # a presigned URL is made without asking the storage: the private video's link still comes
        access = await api.get(f"/api/v1/creatives/video-access/{outages.private_id}", headers=token)
        assert access.status_code == 200, access.text
    finally:
        s3.start()
        s3.wait_ready(lambda: _s3_up(outages.settings.s3_port), 60)
    response = await api.post(
        "/api/v1/creatives", headers=token, data=form, files={"file": ("a.mp4", MP4_HEAD, "video/mp4")}
    )
    assert response.status_code == 201, response.text


async def test_awaited_workflows_answer_202_with_their_id_when_slow(outages: Outages) -> None:
    # no worker serves this stack: the workflows start and never finish within API_WORKFLOW_WAIT_SECONDS
    api = outages.api
    orchestrate = await api.post(
        "/campaigns/orchestrate",
        headers=bearer(outages.owner),
        json={"video_asset_id": str(outages.asset_id), "platforms": ["tiktok"], "request_id": "slow-1"},
    )
    train = await api.post("/api/v1/rules/train", headers=bearer(outages.admin))
    for response, token in ((orchestrate, outages.owner), (train, outages.admin)):
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] == "RUNNING"
        assert response.headers["location"] == f"/api/v1/workflows/{body['workflow_id']}"
        polled = await api.get(response.headers["location"], headers=bearer(token))
        assert polled.status_code == 200, polled.text
        assert polled.json()["status"] == "RUNNING"
    assert orchestrate.json()["workflow_id"] == f"orchestrate-{outages.asset_id}-slow-1"


def _port_open(port: int) -> bool:
    from devstack.process import port_open

    return port_open(port)


def _s3_up(port: int) -> bool:
    from devstack.services import s3_ready

    return s3_ready(port)
