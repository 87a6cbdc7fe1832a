"""Heartbeating from worker threads (FFmpeg work runs in `asyncio.to_thread`)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable

from temporalio import activity


def threadsafe_heartbeat() -> Callable[[str], None]:
    """A heartbeat callable for a thread: `activity.heartbeat` itself must run on the activity's loop."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()

    def beat(detail: str) -> None:
        loop.call_soon_threadsafe(activity.heartbeat, detail, context=context)

    return beat
