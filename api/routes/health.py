"""GET /healthz: liveness (the process answers, nothing else is asked); GET /readyz: database, Temporal and
S3 each checked, 503 naming what is failing. A dependency's outage makes the API unready, never 'dead':
restarting it would not bring the database back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.errors import RETRY_AFTER_SECONDS

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 3.0


async def _check(probe: Awaitable[Any]) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


async def _database(request: Request) -> None:
    async with request.app.state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _temporal(request: Request) -> None:
    await request.app.state.temporal.service_client.check_health(timeout=timedelta(seconds=2))


async def _s3(request: Request) -> None:
    settings = request.app.state.settings
    for bucket in (settings.r2_market_benchmarks_bucket, settings.r2_client_assets_bucket):
        await request.app.state.s3.head_bucket(Bucket=bucket)


_HEALTH_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "every backing service answers",
        "content": {
            "application/json": {
                "example": {"status": "ok", "components": {"database": "ok", "temporal": "ok", "s3": "ok"}}
            }
        },
    },
    503: {
        "description": "a backing service is down; `detail` names it, `Retry-After` says when to look again",
        "content": {
            "application/json": {
                "example": {
                    "status": "unavailable",
                    "error": "service_unavailable",
                    "detail": "failing: temporal",
                    "components": {"database": "ok", "temporal": "timeout", "s3": "ok"},
                }
            }
        },
    },
}


@router.get(
    "/healthz",
    summary="Liveness: the API process serves requests (no dependency is checked)",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="Readiness: every backing service answers", responses=_HEALTH_DOC)
async def readyz(request: Request) -> JSONResponse:
    names = ("database", "temporal", "s3")
    results = await asyncio.gather(_check(_database(request)), _check(_temporal(request)), _check(_s3(request)))
    components = dict(zip(names, results, strict=True))
    failing = [name for name, status in components.items() if status != "ok"]
    if failing:
        body = {
            "status": "unavailable",
            "error": "service_unavailable",
            "detail": f"failing: {', '.join(failing)}",
        }
        return JSONResponse(
            {**body, "components": components},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return JSONResponse({"status": "ok", "components": components})
