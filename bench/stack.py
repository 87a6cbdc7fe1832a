"""The embedded stack for benchmarks that need services: Temporal, PostgreSQL and S3 on free ports, migrated."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devstack import DevStack
from devstack.process import free_port
from models.migrate import upgrade_head
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def full_stack(workdir: Path, max_video_bytes: int) -> Iterator[tuple[Settings, dict[str, str]]]:
    """Settings pointing at the started services, and their environment; everything stops on exit."""
    base = Settings(
        _env_file=None, data_dir=workdir / "stack", database_url=None, temporal_address=None,
        r2_endpoint_url=None, temporal_port=free_port(), temporal_ui_port=free_port(), s3_port=free_port(),
        max_video_bytes=max_video_bytes, url_fetch_allowed_hosts=["127.0.0.1", "localhost"],  # local file servers
    )  # fmt: skip
    stack = DevStack(base, headless=True, free_ports=True)
    env = stack.start()
    try:
        upgrade_head(env["DATABASE_URL"])
        yield base.model_copy(update={name.lower(): value for name, value in env.items()}), env
    finally:
        stack.stop()


def child_env(settings: Settings) -> dict[str, str]:
    """The stack as environment variables for a worker subprocess; inherited ones (MULTIPART_CHUNK_BYTES,
    MALLOC_*) still apply."""
    names = ("database_url", "temporal_address", "temporal_namespace", "r2_endpoint_url", "r2_access_key_id",
             "r2_market_benchmarks_bucket", "r2_client_assets_bucket", "max_video_bytes")  # fmt: skip
    return (
        os.environ
        | {name.upper(): str(getattr(settings, name)) for name in names}
        | {
            "R2_SECRET_ACCESS_KEY": settings.r2_secret_access_key.get_secret_value(),
            "WORKER_GRACEFUL_SHUTDOWN_SECONDS": "2",
            "URL_FETCH_ALLOWED_HOSTS": ",".join(settings.url_fetch_allowed_hosts),
            "PYTHONPATH": str(ROOT),
        }
    )


async def activity_timing(handle: Any, activity: str, prefix: str) -> dict[str, float]:
    """From a finished workflow's history: its start and end, and `prefix`_start/_end/_attempt of `activity`."""
    times: dict[str, float] = {f"{prefix}_attempt": 0}
    scheduled_id = -1
    async for event in handle.fetch_history_events():
        stamp = event.event_time.ToNanoseconds() / 1e9
        if event.HasField("workflow_execution_started_event_attributes"):
            times["workflow_start"] = stamp
        elif event.HasField("workflow_execution_completed_event_attributes"):
            times["workflow_end"] = stamp
        elif event.activity_task_scheduled_event_attributes.activity_type.name == activity:
            scheduled_id = event.event_id
        elif event.activity_task_started_event_attributes.scheduled_event_id == scheduled_id:
            times[f"{prefix}_start"] = stamp
            times[f"{prefix}_attempt"] = event.activity_task_started_event_attributes.attempt
        elif event.activity_task_completed_event_attributes.scheduled_event_id == scheduled_id:
            times[f"{prefix}_end"] = stamp
    return times
