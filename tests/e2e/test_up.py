"""`ugc up` as a user runs it: everything comes up, data survives a restart, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from devstack.process import free_port
from devstack.samples import make_test_video


def _processes_using(data_dir: Path) -> list[str]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline:
            found.append(cmdline)
    return found


def _gone(data_dir: Path, timeout: float = 15) -> bool:
    """True once no process uses the data directory (a stopping server may take a moment to exit)."""
    deadline = time.monotonic() + timeout
    while _processes_using(data_dir):
        if time.monotonic() > deadline:
            pytest.fail(f"still running: {_processes_using(data_dir)}")
        time.sleep(0.2)
    return True


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ugc up exited early"
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail("the API never became healthy")


def _up(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "up", "--headless", "--no-seed"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _interrupt(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    return proc.wait(timeout=60)


def test_up_restart_and_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    api_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TEMPORAL_", "R2_", "JWT_"))},
        "DATA_DIR": str(data_dir),
        "API_PORT": str(api_port),
        "TEMPORAL_PORT": str(free_port()),
        "TEMPORAL_UI_PORT": str(free_port()),
        "S3_PORT": str(free_port()),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    url = f"http://127.0.0.1:{api_port}"
    video = make_test_video(tmp_path / "ad.mp4", duration_s=3)

    proc = _up(env, tmp_path)
    try:
        _wait_healthy(url, proc)
        token = subprocess.run(
            [sys.executable, "-m", "cli", "token", "--sub", "t", "--admin"],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        with video.open("rb") as handle:
            form = {"creative_name": "persisted", "product_category": "restart", "market_cvr": "0.1",
                    "market_longevity_days": "3", "avg_daily_clicks": "10"}  # fmt: skip
            started = httpx.post(f"{url}/api/v1/benchmarks", headers=headers, data=form, files={"file": handle})
        assert started.status_code == 202, started.text
        workflow = f"{url}/api/v1/workflows/{started.json()['workflow_id']}"
        deadline = time.monotonic() + 180
        while (status := httpx.get(workflow, headers=headers).json()["status"]) == "RUNNING":
            assert time.monotonic() < deadline, "the ingest did not finish"
            time.sleep(0.5)
        assert status == "COMPLETED"
    finally:
        assert _interrupt(proc) == 0
    assert _gone(data_dir)

    proc = _up(env, tmp_path)  # same data directory: everything is still there
    try:
        _wait_healthy(url, proc)
        library = httpx.get(f"{url}/api/v1/creatives/benchmarks", params={"product_category": "restart"}).json()
        assert [item["creative_name"] for item in library["items"]] == ["persisted"]
        assert httpx.get(library["items"][0]["video_url"]).status_code == 200
    finally:
        assert _interrupt(proc) == 0
    assert _gone(data_dir)
