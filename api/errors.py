"""Typed API errors and the one handler that turns every failure into {"error", "detail"}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
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


class ServiceUnavailable(AppError):
    status_code = 503
    error = "service_unavailable"


def error_body(error: str, detail: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail}


def _validation_detail(exc: RequestValidationError) -> list[dict[str, str]]:
    # name the field and the reason; never echo the submitted value (it may be large or secret)
    problems = []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "form")]
        problems.append({"field": ".".join(location) or "body", "message": str(err.get("msg", "invalid"))})
    return problems


_UNAVAILABLE_RPC = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNKNOWN}


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

    @app.exception_handler(RPCError)
    async def _temporal(_: Request, exc: RPCError) -> JSONResponse:
        if exc.status in _UNAVAILABLE_RPC:
            return JSONResponse(error_body("service_unavailable", "Temporal is unreachable"), 503)
        log.exception("Temporal call failed")
        return JSONResponse(error_body("internal_error", "workflow service error"), 500)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(error_body("service_unavailable", "the database is unreachable"), 503)

    @app.exception_handler(ConnectionError)
    @app.exception_handler(TimeoutError)
    async def _connection(_: Request, exc: Exception) -> JSONResponse:
        log.warning("backing service unreachable: %s", type(exc).__name__)
        return JSONResponse(error_body("service_unavailable", "a backing service is unreachable"), 503)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "unexpected error"), 500)
