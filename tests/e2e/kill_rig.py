"""A stack of its own with the project's worker as a real process (so it can be killed with SIGKILL), its S3
behind a fault proxy that can hold chosen requests, a fake Claude that counts calls, and ways to hold the
worker inside an activity: a held storage request, a delayed Claude answer, a PostgreSQL lock."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio.api.activity.v1 import ActivityOptions
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflowservice.v1 import UpdateActivityOptionsRequest
from temporalio.client import Client

from devstack import DevStack
from devstack.process import ManagedProcess
from settings import Settings
from tests.media.fault_proxy import FFMPEG_AGENT, Faults, Request
from tests.support.fake_anthropic import FakeAnthropic

REPO = Path(__file__).resolve().parents[2]
# a dead worker is noticed when its attempt times out: after a kill the test shortens the timeout of the
# attempt the dead worker held (what an operator's `temporal activity update-options` does), so a test takes
# seconds, not the minute of a production heartbeat timeout; the retry gets the original options back
DEAD_ATTEMPT_TIMEOUT = Duration(seconds=2)
WAIT_S = 90.0
WAITING_FOR_A_LOCK = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"


def worker_env(settings: Settings, fake: FakeAnthropic) -> dict[str, str]:
    """The environment of a `python -m worker` on this stack (nothing inherited from a configured one)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TEMPORAL_", "R2_", "JWT_"))}
    return inherited | {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url or "",
        "TEMPORAL_ADDRESS": settings.temporal_address or "",
        "TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "R2_ENDPOINT_URL": settings.r2_endpoint_url or "",
        "R2_ACCESS_KEY_ID": settings.r2_access_key_id,
        "R2_SECRET_ACCESS_KEY": settings.r2_secret_access_key.get_secret_value(),
        "URL_FETCH_ALLOWED_HOSTS": "127.0.0.1",
        "ANTHROPIC_API_KEY": "fake-key",
        "ANTHROPIC_BASE_URL": fake.base_url,
        "VISION_BACKEND": "anthropic",
        "WORKER_GRACEFUL_SHUTDOWN_SECONDS": "1",
        "PYTHONPATH": str(REPO),
    }


@dataclass
class Rig:
    stack: DevStack
    settings: Settings  # the worker's: S3 through the proxy
    client: Client
    engine: AsyncEngine
    faults: Faults
    fake: FakeAnthropic
    log: Path
    worker: subprocess.Popen[bytes] | None = None
    locks: list[AsyncConnection] = field(default_factory=list)

    def start_worker(self) -> None:
        with self.log.open("ab") as out:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "worker"], cwd=REPO, env=worker_env(self.settings, self.fake),
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill_worker(self) -> None:
        """SIGKILL: no graceful shutdown, no failure reported; Temporal learns of it by a timeout only."""
        assert self.worker is not None and self.worker.poll() is None, self.log.read_text()[-3000:]
        self.worker.kill()
        self.worker.wait(10)
        self.worker = None

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait(10)
            self.worker = None

    def stop_postgres(self) -> None:
        # what `pg_ctl stop -m fast` does: SIGINT to the postmaster, which ends every session and exits
        server = self.stack.postgres._server if self.stack.postgres else None
        postmaster = server.get_postmaster_info().process if server else None
        assert postmaster is not None
        postmaster.send_signal(signal.SIGINT)
        postmaster.wait(30)

    async def start_postgres(self) -> None:
        assert self.stack.postgres is not None
        self.stack.postgres.restart()
        await self.engine.dispose()  # the pool's connections died with the server

    def s3_process(self) -> ManagedProcess:
        return next(proc for proc in self.stack.started if proc.name.startswith("S3"))

    async def lock(self, statement: str, **params: Any) -> None:
        """Take a lock in a transaction of the test's own, held until unlock()."""
        connection = await self.engine.connect()
        await connection.begin()
        await connection.execute(text(statement), params)
        self.locks.append(connection)

    async def unlock(self) -> None:
        while self.locks:
            connection = self.locks.pop()
            await connection.rollback()
            await connection.close()

    async def lock_waiters(self) -> int:
        """Backends waiting for a lock: the worker's write, blocked by ours."""
        async with self.engine.connect() as connection:
            waiting = await connection.scalar(text(WAITING_FOR_A_LOCK))
        return int(waiting or 0)

    async def started_attempts(self, workflow_id: str) -> dict[str, tuple[str, int]]:
        """{activity id: (type, attempt)} of the workflow's activities a worker has started."""
        description = await self.client.get_workflow_handle(workflow_id).describe()
        return {
            pending.activity_id: (pending.activity_type.name, pending.attempt)
            for pending in description.raw_description.pending_activities
            if pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        }

    async def kill_inside(self, workflow_id: str, activity_type: str, held: Callable[[], Awaitable[bool]]) -> None:
        """Once the worker is held inside `activity_type`, kill it, let the hold go and start a new worker."""
        try:
            await until(held, f"the worker held inside {activity_type}")
        except AssertionError as exc:
            description = await self.client.get_workflow_handle(workflow_id).describe()
            seen = [(r.method, r.path.split("?")[0], r.answered) for r in self.faults.seen[-15:]]
            raise AssertionError(f"{exc}\n{description.raw_description.pending_activities}\n{seen}") from None

        async def running() -> dict[str, tuple[str, int]]:
            started = await self.started_attempts(workflow_id)
            return started if any(kind == activity_type for kind, _ in started.values()) else {}

        dead = await until(running, f"{activity_type} started")
        self.kill_worker()
        self.faults.release()
        await self.unlock()
        short = ActivityOptions(heartbeat_timeout=DEAD_ATTEMPT_TIMEOUT)
        for activity_id in dead:  # every attempt the dead worker held (parallel cuts, say)
            await self._update_options(workflow_id, activity_id, short)
        self.start_worker()

        async def timed_out() -> bool:  # no attempt of the dead worker's is still running
            now = await self.started_attempts(workflow_id)
            return not any(now.get(activity_id) == attempt for activity_id, attempt in dead.items())

        await until(timed_out, f"the dead worker's {activity_type} timed out")
        for activity_id in dead:
            await self._update_options(workflow_id, activity_id, None)

    async def _update_options(self, workflow_id: str, activity_id: str, options: ActivityOptions | None) -> None:
        request = UpdateActivityOptionsRequest(
            namespace=self.settings.temporal_namespace,
            execution=WorkflowExecution(workflow_id=workflow_id),
            id=activity_id,
            identity="kill-test",
        )
        if options is None:
            request.restore_original = True
        else:
            request.activity_options.CopyFrom(options)
            request.update_mask.CopyFrom(FieldMask(paths=["heartbeat_timeout"]))
        try:
            await self.client.workflow_service.update_activity_options(request)
        except Exception:  # the activity finished meanwhile: nothing to restore
            if options is not None:
                raise


async def until(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Poll `check` until it answers something truthy (returned)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if found := await check():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def storage_request(method: str, path_part: str, *, ffmpeg: bool) -> Callable[[Request], bool]:
    """Requests to storage by method and key, from FFmpeg (a media read) or from boto (an upload)."""
    return lambda r: r.method == method and path_part in r.path and r.agent.startswith(FFMPEG_AGENT) == ffmpeg


def held_requests(rig: Rig) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return rig.faults.waiting > 0

    return check


def lock_waited(rig: Rig) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await rig.lock_waiters() > 0

    return check


def failed_once(rig: Rig, workflow_id: str, activity_type: str) -> Callable[[], Awaitable[bool]]:
    """True once an attempt of `activity_type` has failed and the next one waits (or runs)."""

    async def check() -> bool:
        description = await rig.client.get_workflow_handle(workflow_id).describe()
        pending = description.raw_description.pending_activities
        return any(p.activity_type.name == activity_type and p.attempt >= 2 for p in pending)

    return check
