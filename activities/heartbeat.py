"""Heartbeating through long steps and stopping the FFmpeg work in threads once an activity is cancelled.

Temporal tells an activity it is cancelled (workflow cancel, heartbeat timeout, shutdown) only in answer to a
heartbeat, and cancels its asyncio task; a thread the task awaited runs on unless told to stop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

from temporalio import activity

HEARTBEAT_EVERY_S = 5.0  # well inside the media steps' 60 s heartbeat timeout (workflows/policies.py)
STOP_GRACE_S = 15.0  # how long a cancelled activity waits for its thread to notice (a stalled read: rw_timeout)

P = ParamSpec("P")
R = TypeVar("R")


class ThreadWork:
    """What an activity shares with the thread doing its work: the latest progress, and a stop flag."""

    def __init__(self, detail: str):
        self.detail = detail
        self.stop = threading.Event()

    def beat(self, detail: str) -> None:
        """Progress from the thread; the activity's own heartbeat loop sends it."""
        self.detail = detail

    def should_stop(self) -> bool:
        return self.stop.is_set()


@asynccontextmanager
async def heartbeating(detail: str, every_s: float | None = None) -> AsyncIterator[ThreadWork]:
    """Heartbeat every few seconds (HEARTBEAT_EVERY_S) while the body runs (threads, uploads, anything it awaits)."""
    work = ThreadWork(detail)
    period = every_s or HEARTBEAT_EVERY_S

    async def beat() -> None:
        while True:
            activity.heartbeat(work.detail)
            await asyncio.sleep(period)

    task = asyncio.create_task(beat())
    try:
        yield work
    finally:
        work.stop.set()
        task.cancel()


async def in_thread(work: ThreadWork, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """fn in a worker thread; when the activity is cancelled meanwhile, tell the thread and wait until it stops,
    so no FFmpeg process or half-written file outlives the attempt."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    future = asyncio.get_running_loop().run_in_executor(None, call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        work.stop.set()
        await asyncio.wait([future], timeout=STOP_GRACE_S)
        if future.done() and not future.cancelled():
            future.exception()  # retrieved: the thread's Stopped is expected, not worth a log line
        raise


def threadsafe_heartbeat() -> Callable[[str], None]:
    """A heartbeat callable for a thread: `activity.heartbeat` itself must run on the activity's loop.

    Once the activity is cancelled, a beat raises media.source.Stopped in the thread, so the work stops there.
    """
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()

    def beat(detail: str) -> None:
        if context.run(activity.is_cancelled):
            from media.source import Stopped  # imported here: a worker without FFmpeg work never loads PyAV

            raise Stopped()
        loop.call_soon_threadsafe(activity.heartbeat, detail, context=context)

    return beat
