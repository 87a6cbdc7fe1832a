"""Typed API errors and the one handler that turns every failure into {"error", "detail"}."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

import asyncpg
import botocore.exceptions
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error with an HTTP status and a stable machine-readable `error` code."""

    status_code = 400
    error = "bad_request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: Any = None):
        super().__init__(detail)
        self.detail = detail


UNAUTHORIZED_DETAIL = "missing, invalid or expired bearer token"


class Unauthorized(AppError):
    """Every 401 has this one body: which check failed is logged (debug), never told to the caller."""

    status_code = 401
    error = "unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}

    def __init__(self) -> None:
        super().__init__(UNAUTHORIZED_DETAIL)


class Forbidden(AppError):
    status_code = 403
    error = "forbidden"


class NotFound(AppError):
    status_code = 404
    error = "not_found"


class Conflict(AppError):
    status_code = 409
    error = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    error = "payload_too_large"


class UnsupportedMediaType(AppError):
    status_code = 415
    error = "unsupported_media_type"


class InvalidInput(AppError):
    status_code = 422
    error = "invalid_input"


class TooManyRequests(AppError):
    """A client's daily cap is used up; `Retry-After` says when it resets."""

    status_code = 429
    error = "rate_limited"

    def __init__(self, detail: Any, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(max(1, retry_after_seconds))}


# how long a caller should wait before trying again while a backing service is down: about what a
# supervised restart of the embedded database, S3 or Temporal takes
RETRY_AFTER_SECONDS = 5


class ServiceUnavailable(AppError):
    """A backing service is down or too slow; the detail names it, Retry-After says when to come back."""

    status_code = 503
    error = "service_unavailable"
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}


def error_body(error: str, detail: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail}


def _validation_detail(exc: RequestValidationError) -> list[dict[str, str]]:
    # name the field and the reason; never echo the submitted value (it may be large or secret)
    problems = []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "form")]
        problems.append({"field": ".".join(location) or "body", "message": str(err.get("msg", "invalid"))})
    return problems


DATABASE = "the database"
STORAGE = "object storage (S3)"
TEMPORAL = "Temporal"

# Temporal answers these when it is down, overloaded or too slow; every other status is a bug or bad input
_UNAVAILABLE_RPC = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED}
# PostgreSQL classes 08 (connection), 53 (resources: too many connections, disk full) and 57 (operator
# intervention: shutting down, starting up, statement timeout), and asyncpg's own lost-connection errors
_UNAVAILABLE_POSTGRES = (
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.ConnectionDoesNotExistError,
)
_TEMPORAL_CONNECT_FAILED = "Failed client connect"
_UNAVAILABLE_S3_CODES = {"ServiceUnavailable", "SlowDown", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"}
# a socket error names no service: the library whose frames it came through does (innermost first)
_LIBRARY_SERVICES = (
    (("asyncpg", "sqlalchemy"), DATABASE),
    (("aiobotocore", "botocore", "aioboto3", "aiohttp"), STORAGE),
    (("temporalio",), TEMPORAL),
)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (`orig`, `__cause__`, `__context__`) and an exception group's members."""
    seen: set[int] = set()
    pending = [exc]
    while pending and len(seen) < 32:
        error = pending.pop(0)
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)
        for inner in (getattr(error, "orig", None), error.__cause__, error.__context__):
            if isinstance(inner, BaseException):
                pending.append(inner)


def _service_in_traceback(error: BaseException) -> str | None:
    for frame, _ in reversed(list(traceback.walk_tb(error.__traceback__))):
        module = str(frame.f_globals.get("__name__", ""))
        for prefixes, service in _LIBRARY_SERVICES:
            if module.split(".", 1)[0] in prefixes:
                return service
    return None


def _unavailable(error: BaseException) -> str | None:
    if isinstance(error, RPCError):
        return TEMPORAL if error.status in _UNAVAILABLE_RPC else None
    if isinstance(error, RPCTimeoutOrCancelledError):
        return TEMPORAL
    if isinstance(error, RuntimeError) and str(error).startswith(_TEMPORAL_CONNECT_FAILED):
        return _service_in_traceback(error)  # the lazy client's first connection was refused
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return DATABASE
    if isinstance(error, sa.OperationalError | sa.InterfaceError | sa.DisconnectionError | sa.TimeoutError):
        return DATABASE  # sa.TimeoutError: no pooled connection came free in time
    if isinstance(error, _UNAVAILABLE_POSTGRES):
        return DATABASE
    if isinstance(error, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError):
        return STORAGE  # refused, DNS, connect/read timeouts, connection closed mid-answer
    if isinstance(error, botocore.exceptions.ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = error.response.get("Error", {}).get("Code", "")
        return STORAGE if status >= 500 or code in _UNAVAILABLE_S3_CODES else None
    if isinstance(error, OSError):  # ConnectionRefusedError, a vanished Unix socket, TimeoutError, DNS
        return _service_in_traceback(error)
    return None


def unavailable_service(exc: BaseException) -> str | None:
    """The backing service whose outage `exc` shows (DATABASE, STORAGE, TEMPORAL), or None for anything else."""
    for error in _causes(exc):
        service = _unavailable(error)
        if service is not None:
            return service
    return None


def unavailable_response(service: str) -> JSONResponse:
    """503 naming the service, with Retry-After."""
    error = ServiceUnavailable(f"{service} is unreachable; retry later")
    return JSONResponse(error_body(error.error, error.detail), error.status_code, headers=error.headers)


# Exceptions an outage surfaces as. Each is answered here rather than by the catch-all below, so an
# outage is a handled 503 (not a logged crash) and anything else of these types a handled 500.
_BACKING_SERVICE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    RuntimeError,
    RPCError,
    RPCTimeoutOrCancelledError,
    sa.SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    ExceptionGroup,
)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(error_body(exc.error, exc.detail), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_input", _validation_detail(exc)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, exc.detail), exc.status_code, headers=exc.headers)

    async def _backing_service(_: Request, exc: Exception) -> JSONResponse:
        service = unavailable_service(exc)
        if service is not None:
            log.warning("%s unavailable: %s: %s", service, type(exc).__name__, exc)
            return unavailable_response(service)
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "unexpected error"), 500)

    for error_type in _BACKING_SERVICE_ERRORS:
        app.add_exception_handler(error_type, _backing_service)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "unexpected error"), 500)
