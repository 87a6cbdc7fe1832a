"""Running `ugc up` as a user does, in a subprocess on a temp data directory and free ports."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
import psutil
import pytest

from devstack.process import free_port
from devstack.services import WeedPorts

REPO = Path(__file__).resolve().parents[2]


def up_env(data_dir: Path) -> tuple[dict[str, str], str]:
    """The environment for a `ugc up` of its own (no configured services) and its API's URL."""
    api_port = free_port()
    configured = ("DATABASE_URL", "TEMPORAL_", "R2_", "JWT_", "META_")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(configured)},
        "DATA_DIR": str(data_dir),
        "API_PORT": str(api_port),
        "TEMPORAL_PORT": str(free_port()),
        "TEMPORAL_UI_PORT": str(free_port()),
        "META_FAKE_PORT": str(free_port()),
        "S3_PORT": str(s3_port_below_ephemeral()),
        "API_METRICS_PORT": str(free_port()),
        "WORKER_METRICS_PORT": str(free_port()),
        "PYTHONPATH": str(REPO),
    }
    return env, f"http://127.0.0.1:{api_port}"


def s3_port_below_ephemeral() -> int:
    """An S3_PORT whose derived `weed mini` ports are all free and, like `make run`'s 8333, below Linux's
    ephemeral range (32768+): there any outgoing connection may hold one and a restarted `weed` finds it taken."""
    for _ in range(200):
        port = random.randrange(10_000, 31_000)
        if all(_bindable(p) for p in (port, *WeedPorts.fixed(port).others.values())):
            return port
    pytest.fail("no free block of ports for SeaweedFS below 32768")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start_up(env: dict[str, str], cwd: Path, stdout: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "up", "--headless", "--no-seed"],
        cwd=cwd,
        env=env,
        stdout=stdout or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if stdout else subprocess.DEVNULL,
    )


def stop_up(proc: subprocess.Popen[bytes], signum: int = signal.SIGINT) -> int:
    """SIGINT is what Ctrl-C sends; SIGTERM what a service manager sends."""
    proc.send_signal(signum)
    return proc.wait(timeout=60)


def processes_using(data_dir: Path) -> list[str]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline:
            found.append(cmdline)
    return found


def gone(data_dir: Path, timeout: float = 15) -> bool:
    """True once no process uses the data directory (a stopping server may take a moment to exit)."""
    deadline = time.monotonic() + timeout
    while processes_using(data_dir):
        if time.monotonic() > deadline:
            pytest.fail(f"still running: {processes_using(data_dir)}")
        time.sleep(0.2)
    return True


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ugc up exited early"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail("the API never became healthy")
