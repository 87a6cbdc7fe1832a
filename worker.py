"""Temporal worker entrypoint: settings -> clients -> activity instances -> one Worker per task queue."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from contextlib import AsyncExitStack
from datetime import timedelta

from temporalio.worker import Worker

from activities.registry import anthropic_client, build_activities, download_client
from clients import TASK_QUEUE_MAIN, TASK_QUEUE_MEDIA, connect_temporal, require, s3_client
from models.db import make_engine, make_sessionmaker
from models.schemas import TrainRulesInput
from settings import Settings, get_settings
from workflows import ALL_WORKFLOWS
from workflows.schedules import ensure_training_schedule

log = logging.getLogger("ugc.worker")


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Serve both task queues until `stop` is set; in-flight activities get the grace period."""
    async with AsyncExitStack() as stack:
        client = await connect_temporal(settings)
        engine = make_engine(require(settings.database_url, "DATABASE_URL"))
        stack.push_async_callback(engine.dispose)
        s3 = await stack.enter_async_context(s3_client(settings))
        http = await stack.enter_async_context(download_client(settings))
        anthropic = anthropic_client(settings)
        if anthropic is not None:
            stack.push_async_callback(anthropic.close)
        main_activities, media_activities = build_activities(settings, make_sessionmaker(engine), s3, http, anthropic)
        grace = timedelta(seconds=settings.worker_graceful_shutdown_seconds)
        media_slots = settings.media_concurrency or os.cpu_count() or 2
        workers = [
            Worker(
                client,
                task_queue=TASK_QUEUE_MAIN,
                workflows=ALL_WORKFLOWS,
                activities=main_activities,
                graceful_shutdown_timeout=grace,
            ),
            Worker(
                client,
                task_queue=TASK_QUEUE_MEDIA,
                activities=media_activities,
                max_concurrent_activities=media_slots,
                graceful_shutdown_timeout=grace,
            ),
        ]
        training = TrainRulesInput(l2=settings.training_l2, min_improvement=settings.training_min_improvement)
        if await ensure_training_schedule(client, settings.training_cron, training):
            log.info("created the daily rule-engine training schedule (%s)", settings.training_cron)
        async with workers[0], workers[1]:
            log.info("worker serving %s and %s (media slots: %d)", TASK_QUEUE_MAIN, TASK_QUEUE_MEDIA, media_slots)
            await stop.wait()
            log.info("shutting down: in-flight activities have %ss", grace.total_seconds())


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_worker(get_settings(), stop)


if __name__ == "__main__":
    asyncio.run(main())
