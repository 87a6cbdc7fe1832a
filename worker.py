"""Temporal worker entrypoint: settings -> clients -> activity instances -> one Worker per task queue."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.registry import (
    anthropic_client,
    download_client,
    main_activities,
    media_activities,
    meta_http_client,
    transfer_activities,
)
from clients import connect_temporal, require, s3_client
from settings import Settings, get_settings
from telemetry.logs import configure_logging
from telemetry.runtime import worker_runtime
from telemetry.tracing import configure_tracing, flush_traces
from workflows.queues import QUEUES_BY_NAME, parse_queues

log = logging.getLogger("ugc.worker")


async def run_worker(settings: Settings, stop: asyncio.Event, queues: str | None = None) -> None:
    """Serve the chosen task queues until `stop` is set; in-flight activities get the grace period."""
    names = parse_queues(queues or settings.worker_queues)
    grace = timedelta(seconds=settings.worker_graceful_shutdown_seconds)
    async with AsyncExitStack() as stack:
        client = await connect_temporal(settings, runtime=worker_runtime(settings))
        s3 = await stack.enter_async_context(s3_client(settings))
        workers: list[Worker] = []
        if "transfer" in names:
            http = await stack.enter_async_context(download_client(settings))
            workers.append(_worker(client, "transfer", grace, activities=transfer_activities(settings, s3, http)))
        if "main" in names or "media" in names:
            workers += await _database_workers(settings, client, s3, stack, names, grace)
        for worker in workers:
            await stack.enter_async_context(worker)
        log.info("worker serving %s", ", ".join(QUEUES_BY_NAME[name] for name in names))
        await stop.wait()
        log.info("shutting down: in-flight activities have %ss", grace.total_seconds())


def _worker(client: Client, name: str, grace: timedelta, **options: Any) -> Worker:
    return Worker(client, task_queue=QUEUES_BY_NAME[name], graceful_shutdown_timeout=grace, **options)


async def _database_workers(
    settings: Settings, client: Client, s3: Any, stack: AsyncExitStack, names: list[str], grace: timedelta
) -> list[Worker]:
    """The workflows and ugc-main, and/or ugc-media; the heavy imports happen only here."""
    from models.db import make_engine, make_sessionmaker
    from models.schemas.learning import TrainRulesInput
    from workflows.catalog import ALL_WORKFLOWS
    from workflows.schedules import ensure_training_schedule

    engine = make_engine(require(settings.database_url, "DATABASE_URL"))
    stack.push_async_callback(engine.dispose)
    sessionmaker = make_sessionmaker(engine)
    workers = []
    if "main" in names:
        anthropic = anthropic_client(settings)
        if anthropic is not None:
            stack.push_async_callback(anthropic.close)
        meta_http = await stack.enter_async_context(meta_http_client(settings))
        activities = main_activities(settings, sessionmaker, s3, anthropic, meta_http)
        workers.append(_worker(client, "main", grace, workflows=ALL_WORKFLOWS, activities=activities))
        training = TrainRulesInput(l2=settings.training_l2, min_improvement=settings.training_min_improvement)
        if await ensure_training_schedule(client, settings.training_cron, training):
            log.info("created the daily rule-engine training schedule (%s)", settings.training_cron)
    if "media" in names:
        slots = settings.media_concurrency or os.cpu_count() or 2
        activities = media_activities(sessionmaker, s3, settings)
        workers.append(_worker(client, "media", grace, activities=activities, max_concurrent_activities=slots))
    return workers


async def main(queues: str | None = None) -> None:
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    configure_tracing(settings, "ugc-worker")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_worker(settings, stop, queues)
    finally:
        flush_traces()


if __name__ == "__main__":
    asyncio.run(main())
