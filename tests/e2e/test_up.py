"""`ugc up` as a user runs it: everything comes up, data survives a restart, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from devstack.samples import make_test_video
from tests.e2e.up_helpers import gone, start_up, stop_up, up_env, wait_healthy


def test_up_restart_and_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env, url = up_env(data_dir)
    video = make_test_video(tmp_path / "ad.mp4", duration_s=3)

    proc = start_up(env, tmp_path)
    try:
        wait_healthy(url, proc)
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
        assert stop_up(proc) == 0
    assert gone(data_dir)

    proc = start_up(env, tmp_path)  # same data directory: everything is still there
    try:
        wait_healthy(url, proc)
        library = httpx.get(f"{url}/api/v1/creatives/benchmarks", params={"product_category": "restart"}).json()
        assert [item["creative_name"] for item in library["items"]] == ["persisted"]
        assert httpx.get(library["items"][0]["video_url"]).status_code == 200
    finally:
        assert stop_up(proc) == 0
    assert gone(data_dir)
