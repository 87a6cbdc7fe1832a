"""The FastAPI app: `create_app` with a lifespan owning the engine, Temporal client and S3 client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RetryConfig

from api.errors import install_error_handlers
from api.routes import (
    benchmarks,
    campaign_reads,
    campaigns,
    creative_actions,
    creatives,
    health,
    learning,
    ledger,
    uploads,
    video_assets,
    workflows,
)
from clients import require, s3_client
from models.db import make_engine, make_sessionmaker
from settings import Settings, get_settings

# a request retries an unreachable Temporal for about 2 s (a supervised restart takes ~1 s), then answers
# 503; the SDK's default of 10 retries up to 5 s apart would hold every caller ~10 s during an outage
TEMPORAL_RETRY = RetryConfig(max_interval_millis=1000, max_elapsed_time_millis=3000, max_retries=6)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; clients are made in the lifespan so a test or server owns their life."""
    settings = settings or get_settings()
    settings.require_jwt_claims_config()  # no API that takes tokens for any audience or issuer

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = make_engine(require(settings.database_url, "DATABASE_URL"))
            stack.push_async_callback(engine.dispose)
            app.state.settings = settings
            app.state.engine = engine
            app.state.sessionmaker = make_sessionmaker(engine)
            # lazy: the API starts (and /healthz reports 503) even while Temporal is down
            app.state.temporal = await Client.connect(
                require(settings.temporal_address, "TEMPORAL_ADDRESS"),
                namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
                lazy=True,
                retry_config=TEMPORAL_RETRY,
            )
            app.state.s3 = await stack.enter_async_context(s3_client(settings))
            yield

    app = FastAPI(
        title="ugc-engine",
        version="0.1.0",
        summary="Durable backend for UGC video ads: benchmarks, analysis, clip selection, campaigns.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
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
    return app
