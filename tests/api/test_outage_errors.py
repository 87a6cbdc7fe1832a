"""Which failures are a backing service's outage (503 + Retry-After naming it) and which are bugs (500).

The real outages (a stopped PostgreSQL, SeaweedFS, Temporal) are in tests/e2e/test_outages.py; here each
kind of exception the libraries raise is classified, and answered through the app's handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from fastapi import FastAPI
from sqlalchemy import exc as sa
from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import DATABASE, RETRY_AFTER_SECONDS, STORAGE, TEMPORAL, install_error_handlers, unavailable_service
from devstack.process import free_port
from settings import Settings
from tests.api.test_health import _health_with


def _raised_in(module: str, exc: BaseException) -> BaseException:
    """`exc` as raised by code of `module` (what a socket error from inside asyncpg or botocore looks like)."""
    namespace: dict[str, object] = {"__name__": module}
    exec("def fail(exc):\n    raise exc\n", namespace)
    try:
        namespace["fail"](exc)  # type: ignore[operator]
    except BaseException as raised:
        return raised
    raise AssertionError("not raised")


def _wrapped(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as caught:
            raise outer from caught
    except BaseException as raised:
        return raised


def _client_error(status: int, code: str) -> ClientError:
    response: Any = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "PutObject")


OUTAGES: list[tuple[str, Callable[[], BaseException], str]] = [
    ("temporal unavailable", lambda: RPCError("down", RPCStatusCode.UNAVAILABLE, b""), TEMPORAL),
    ("temporal deadline", lambda: RPCError("slow", RPCStatusCode.DEADLINE_EXCEEDED, b""), TEMPORAL),
    ("temporal overloaded", lambda: RPCError("busy", RPCStatusCode.RESOURCE_EXHAUSTED, b""), TEMPORAL),
    ("temporal rpc timeout", lambda: RPCTimeoutOrCancelledError(), TEMPORAL),
    (
        "temporal lazy connect refused",
        lambda: _raised_in("temporalio.bridge.client", RuntimeError("Failed client connect: Server connection error")),
        TEMPORAL,
    ),
    ("postgres starting up", lambda: asyncpg.CannotConnectNowError("the database system is starting up"), DATABASE),
    ("postgres shutting down", lambda: asyncpg.AdminShutdownError("terminating connection"), DATABASE),
    ("postgres too many connections", lambda: asyncpg.TooManyConnectionsError("sorry, too many clients"), DATABASE),
    ("sqlalchemy operational", lambda: sa.OperationalError("SELECT 1", {}, Exception("gone")), DATABASE),
    ("sqlalchemy pool timeout", lambda: sa.TimeoutError("QueuePool limit reached"), DATABASE),
    ("unix socket gone", lambda: _raised_in("asyncpg.connect_utils", FileNotFoundError(2, "No such file")), DATABASE),
    ("tcp refused in asyncpg", lambda: _raised_in("asyncpg.connection", ConnectionRefusedError(111, "")), DATABASE),
    ("connect timeout in asyncpg", lambda: _raised_in("asyncpg.connect_utils", TimeoutError()), DATABASE),
    ("s3 refused", lambda: EndpointConnectionError(endpoint_url="http://127.0.0.1:1/b"), STORAGE),
    ("s3 read timeout", lambda: ReadTimeoutError(endpoint_url="http://127.0.0.1:1/b"), STORAGE),
    ("s3 503", lambda: _client_error(503, "ServiceUnavailable"), STORAGE),
    ("s3 500", lambda: _client_error(500, "InternalError"), STORAGE),
    ("s3 slow down", lambda: _client_error(503, "SlowDown"), STORAGE),
    ("aiohttp refused", lambda: _raised_in("aiohttp.connector", ConnectionRefusedError(111, "")), STORAGE),
    (
        "wrapped by the app",
        lambda: _wrapped(RuntimeError("could not store"), EndpointConnectionError(endpoint_url="http://x")),
        STORAGE,
    ),
    (
        "in an exception group",
        lambda: ExceptionGroup("tasks", [ValueError("x"), asyncpg.CannotConnectNowError("starting")]),
        DATABASE,
    ),
]

BUGS: list[tuple[str, Callable[[], BaseException]]] = [
    ("temporal not found", lambda: RPCError("no such workflow", RPCStatusCode.NOT_FOUND, b"")),
    ("temporal invalid argument", lambda: RPCError("bad id", RPCStatusCode.INVALID_ARGUMENT, b"")),
    ("integrity", lambda: sa.IntegrityError("INSERT", {}, Exception("duplicate key"))),
    ("s3 no such key", lambda: _client_error(404, "NoSuchKey")),
    ("s3 access denied", lambda: _client_error(403, "AccessDenied")),
    ("value error", lambda: ValueError("bug")),
    ("a missing file of our own", lambda: FileNotFoundError(2, "No such file")),
    ("a runtime error of our own", lambda: RuntimeError("Failed client connect")),
]


@pytest.mark.parametrize(("case", "make", "service"), OUTAGES, ids=[case for case, _, _ in OUTAGES])
def test_outages_name_their_service(case: str, make: Callable[[], BaseException], service: str) -> None:
    assert unavailable_service(make()) == service


@pytest.mark.parametrize(("case", "make"), BUGS, ids=[case for case, _ in BUGS])
def test_other_failures_are_no_outage(case: str, make: Callable[[], BaseException]) -> None:
    assert unavailable_service(make()) is None


def _app_raising(exc: BaseException) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


async def _get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/boom")


@pytest.mark.parametrize(("case", "make", "service"), OUTAGES, ids=[case for case, _, _ in OUTAGES])
async def test_outage_answers_503_with_retry_after(case: str, make: Callable[[], BaseException], service: str) -> None:
    response = await _get(_app_raising(make()))
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"error": "service_unavailable", "detail": f"{service} is unreachable; retry later"}


@pytest.mark.parametrize(("case", "make"), BUGS, ids=[case for case, _ in BUGS])
async def test_other_failures_answer_500(case: str, make: Callable[[], BaseException]) -> None:
    response = await _get(_app_raising(make()))
    assert response.status_code == 500
    assert "retry-after" not in response.headers
    assert response.json() == {"error": "internal_error", "detail": "unexpected error"}


async def test_readyz_503_carries_retry_after(stack_settings: Settings) -> None:
    dead = stack_settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    response = await _health_with(dead)
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
