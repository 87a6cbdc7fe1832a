"""`ugc up` supervises: what dies is restarted and the rest keeps running; what keeps dying ends it."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from rich.console import Console

from devstack.process import ManagedProcess
from devstack.supervisor import Supervisor
from tests.e2e.up_helpers import gone, start_up, stop_up, up_env, wait_healthy


def _child(up: subprocess.Popen[bytes], matches: Callable[[list[str]], bool]) -> psutil.Process:
    """The one direct child of `ugc up` whose command line matches."""
    found = [child for child in psutil.Process(up.pid).children() if matches(child.cmdline())]
    assert len(found) == 1, found
    return found[0]


def _postmaster(data_dir: Path) -> psutil.Process:
    """pgserver's postmaster is started by pg_ctl (no child of `ugc up`); its pid heads postmaster.pid."""
    return psutil.Process(int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0]))


def _replaced(find: Callable[[], psutil.Process], old: psutil.Process, timeout: float = 30) -> psutil.Process:
    """Wait until `find` names a live process other than the killed one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            new = find()
            if new.pid != old.pid and new.status() != psutil.STATUS_ZOMBIE:
                return new
        except (AssertionError, OSError, ValueError, psutil.Error):
            pass  # between the death and the restart there is none, or a half-written pid file
        time.sleep(0.2)
    pytest.fail(f"{old.pid} was not replaced within {timeout}s")


def test_up_restarts_a_killed_worker_s3_postgres_and_temporal(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env, url = up_env(data_dir)
    env["COLUMNS"] = "250"  # rich wraps at 80 columns when not on a terminal
    output = tmp_path / "up.out"

    def is_worker(cmdline: list[str]) -> bool:
        return cmdline[1:3] == ["-m", "worker"]

    def is_weed(cmdline: list[str]) -> bool:
        return Path(cmdline[0]).name == "weed" if cmdline else False  # a zombie's cmdline is empty

    def is_temporal(cmdline: list[str]) -> bool:
        return Path(cmdline[0]).name == "temporal" if cmdline else False

    with output.open("wb") as out:
        proc = start_up(env, tmp_path, stdout=out)
    try:
        wait_healthy(url, proc)
        finders: list[Callable[[], psutil.Process]] = [
            lambda: _child(proc, is_worker),
            lambda: _child(proc, is_weed),
            lambda: _postmaster(data_dir),
            lambda: _child(proc, is_temporal),
        ]
        for find in finders:
            old = find()
            old.kill()
            _replaced(find, old)
            assert proc.poll() is None, "ugc up stopped"
            wait_healthy(url, proc, timeout=60)  # database, Temporal and S3 all answer the API again
    finally:
        assert stop_up(proc, signal.SIGTERM) == 0
    assert gone(data_dir)
    printed = output.read_text()
    for name in ("worker", "S3 (SeaweedFS)", "PostgreSQL (pgserver)", "Temporal"):
        assert f"{name} restarted" in printed, printed
    assert "worker exited with code -9" in printed
    assert "restarting in 1s (attempt 1)" in printed


def test_supervisor_gives_up_on_a_child_that_keeps_dying(tmp_path: Path) -> None:
    steady = ManagedProcess("steady", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "steady.log")
    crashing = ManagedProcess(
        "crashing", [sys.executable, "-c", "print('boom'); raise SystemExit(3)"], tmp_path / "crashing.log"
    )
    printed = io.StringIO()
    for child in (steady, crashing):
        child.start()
    try:
        supervisor = Supervisor(
            [steady, crashing], Console(file=printed, width=250), poll_seconds=0.05, max_restarts=3, backoff_base=0.05
        )
        assert supervisor.run() is crashing
        assert steady.running()  # the rest kept running meanwhile
    finally:
        for child in (steady, crashing):
            child.stop(grace=5)
    lines = printed.getvalue().splitlines()
    assert [line for line in lines if "restarting in" in line] == [
        f"crashing exited with code 3; log: {crashing.log_path}; restarting in {delay:g}s (attempt {attempt})"
        for attempt, delay in ((1, 0.05), (2, 0.1), (3, 0.2))
    ]
    assert lines[-1] == "giving up after 3 restarts in a row"
    assert crashing.log_path.read_text().count("boom") == 4  # the first run and three restarts
