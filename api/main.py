"""The FastAPI app: `create_app` with a lifespan owning the engine, Temporal client and S3 client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import asyncpg
import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RetryConfig

from api.errors import install_error_handlers
from api.observability import RequestContext, metrics_listener
from api.routes import (
    ad_accounts,
    benchmarks,
    campaign_reads,
    campaigns,
    creative_actions,
    creatives,
    health,
    learning,
    ledger,
    meta_publish,
    uploads,
    video_assets,
    workflows,
)
from clients import require, s3_client
from models.db import async_url, make_engine, make_sessionmaker
from settings import Settings, get_settings
from telemetry.logs import configure_logging
from telemetry.tracing import configure_tracing, instrument_api, temporal_interceptors

# a request retries an unreachable Temporal for about 2 s (a supervised restart takes ~1 s), then answers
# 503; the SDK's default of 10 retries up to 5 s apart would hold every caller ~10 s during an outage
TEMPORAL_RETRY = RetryConfig(max_interval_millis=1000, max_elapsed_time_millis=3000, max_retries=6)
READ_POOL_SIZE = 5  # asyncpg connections for ReadPool, beside the SQLAlchemy engine's pool


def asyncpg_dsn(url: str) -> str:
    """The database URL as asyncpg takes it (postgresql://, a Unix socket kept in the `host` query)."""
    return make_url(async_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; clients are made in the lifespan so a test or server owns their life."""
    settings = settings or get_settings()
    settings.require_jwt_claims_config()  # no API that takes tokens for any audience or issuer
    configure_tracing(settings, "ugc-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.enter_context(metrics_listener(settings))
            engine = make_engine(require(settings.database_url, "DATABASE_URL"))
            stack.push_async_callback(engine.dispose)
            app.state.settings = settings
            app.state.engine = engine
            app.state.sessionmaker = make_sessionmaker(engine)
            # min_size 0: connections are made on first use, so the API starts while the database is down
            read_pool = await asyncpg.create_pool(
                asyncpg_dsn(require(settings.database_url, "DATABASE_URL")),
                min_size=0,
                max_size=READ_POOL_SIZE,
                timeout=5,
                command_timeout=30,
            )
            stack.push_async_callback(read_pool.close)
            app.state.read_pool = read_pool
            # lazy: the API starts (and /readyz reports 503) even while Temporal is down
            app.state.temporal = await Client.connect(
                require(settings.temporal_address, "TEMPORAL_ADDRESS"),
                namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
                lazy=True,
                retry_config=TEMPORAL_RETRY,
                interceptors=temporal_interceptors(),
            )
            app.state.s3 = await stack.enter_async_context(s3_client(settings))
            yield

    app = FastAPI(
        title="ugc-engine",
        version="0.1.0",
        summary="Durable backend for UGC video ads: benchmarks, analysis, clip selection, campaigns.",
        lifespan=lifespan,
        docs_url=None,  # served below from the package's own files, not a CDN
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
    )
    install_error_handlers(app)
    app.add_middleware(RequestContext)
    instrument_api(app)
    install_docs(app)
    app.include_router(health.router)
    # benchmarks first: /creatives/benchmarks must not be read as /creatives/{creative_id}
    app.include_router(benchmarks.router)
    app.include_router(creative_actions.router)
    app.include_router(creatives.router)
    app.include_router(video_assets.router)
    app.include_router(uploads.router)
    app.include_router(campaigns.router)
    app.include_router(campaign_reads.router)  # after: /campaigns/best_clip must not match /campaigns/{id}
    app.include_router(ledger.router)
    app.include_router(learning.router)
    app.include_router(workflows.router)
    app.include_router(ad_accounts.router)
    app.include_router(meta_publish.router)
    return app


def serve_app() -> FastAPI:
    """The app as a server process runs it (`ugc api`, `ugc up`): the project's log lines first."""
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    return create_app(settings)


# Swagger UI and ReDoc as the fastapi-offline package ships them (swagger-ui-bundle.js, swagger-ui.css,
# redoc.standalone.js, favicon.png): /docs and /redoc work with no internet access
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DOCS_STATIC_URL = "/static/docs"


def install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI, with the bearer-token Authorize button) and /redoc, every asset same-origin."""
    app.mount(DOCS_STATIC_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{oauth2_redirect_url}",
            swagger_js_url=f"{root}{DOCS_STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_STATIC_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )
