"""The real stack (Temporal, PostgreSQL, S3) once per session on free ports, a worker, an API client."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import issue_token
from api.deps import get_session
from api.main import create_app
from clients import connect_temporal, s3_client
from devstack import DevStack
from devstack.process import free_port
from models.db import make_engine
from models.migrate import upgrade_head
from settings import Settings
from tests.support.fileserver import serve_directory
from worker import run_worker

logging.getLogger("pgserver").setLevel(logging.WARNING)

TEST_MAX_VIDEO_BYTES = 3 * 1024 * 1024
TEST_JWT_AUDIENCE = "ugc-engine-test"
TEST_JWT_ISSUER = "https://auth.ugc-engine.test"


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at a freshly started embedded stack; stopped at the end of the session."""
    data_dir = tmp_path_factory.mktemp("stack")
    base = Settings(
        _env_file=None,
        data_dir=data_dir,
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        s3_port=free_port(),
        jwt_secret=secrets.token_urlsafe(48),
        jwt_audience=TEST_JWT_AUDIENCE,
        jwt_issuer=TEST_JWT_ISSUER,
        max_video_bytes=TEST_MAX_VIDEO_BYTES,
        worker_graceful_shutdown_seconds=2,
        api_metrics_port=0,  # no metrics listeners: tests that scrape pick free ports
        worker_metrics_port=0,
    )
    stack = DevStack(base, headless=True, free_ports=True)
    env = stack.start()
    try:
        settings = base.model_copy(
            update={
                "database_url": env["DATABASE_URL"],
                "temporal_address": env["TEMPORAL_ADDRESS"],
                "r2_endpoint_url": env["R2_ENDPOINT_URL"],
            }
        )
        upgrade_head(env["DATABASE_URL"])
        yield settings
    finally:
        stack.stop()


@pytest.fixture(scope="session")
async def worker(stack_settings: Settings) -> AsyncIterator[None]:
    """The project's real worker, serving both task queues, for the whole session."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(stack_settings, stop))
    await asyncio.sleep(0.5)
    if task.done():
        task.result()
    yield
    stop.set()
    await asyncio.wait_for(task, 30)


@pytest.fixture(scope="session")
async def temporal(stack_settings: Settings) -> Client:
    return await connect_temporal(stack_settings)


@pytest.fixture(scope="session")
async def s3(stack_settings: Settings) -> AsyncIterator[object]:
    async with s3_client(stack_settings) as client:
        yield client


@pytest.fixture(scope="session")
async def app(stack_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(stack_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client over the ASGI app; every request commits for real (workflows read the rows)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
async def isolated_api(app: FastAPI, stack_settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    """API client whose requests share one transaction rolled back after the test."""
    engine = make_engine(stack_settings.database_url or "", pool_size=1)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

        async def _session() -> AsyncIterator[AsyncSession]:
            yield session
            await session.flush()

        app.dependency_overrides[get_session] = _session
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
                yield client, session
        finally:
            app.dependency_overrides.pop(get_session, None)
            await session.close()
            await transaction.rollback()
    await engine.dispose()


@pytest.fixture(scope="session")
def admin_token(stack_settings: Settings) -> str:
    return issue_token(stack_settings, "admin-1", admin=True)


@pytest.fixture(scope="session")
def user_token(stack_settings: Settings) -> str:
    return issue_token(stack_settings, "user-1")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def file_server(media_dir: Path) -> Iterator[str]:
    with serve_directory(media_dir) as url:
        yield url


@pytest.fixture
async def db(stack_settings: Settings) -> AsyncIterator[Any]:
    """A session factory on the stack's database, for arranging and inspecting rows."""
    from models.db import make_sessionmaker

    engine = make_engine(stack_settings.database_url or "", pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def served_api(stack_settings: Settings) -> Iterator[str]:
    """The API over real HTTP (uvicorn in a thread, its own app and clients), for the CLI and the blocking client."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(stack_settings), log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
