"""Ingest benchmark: a ~1 GB video from a local URL through the real worker vs a plain aioboto3 upload.

Targets (issue): the worker's peak RSS stays under 200 MB and the fetch step reaches at least 0.7x the
throughput of `upload_file` on the same bytes. Machines are shared and noisy, so throughput is judged
only as a ratio against the baseline measured in the same run, and nothing here fails on a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from clients import TASK_QUEUE_MAIN, connect_temporal, s3_client
from devstack import DevStack
from devstack.process import free_port, log_tail
from devstack.samples import ffmpeg_exe
from models.migrate import upgrade_head
from models.schemas import BenchmarkFields, IngestBenchmarkInput, VideoSource
from settings import Settings
from tests.support.fileserver import serve_directory
from workflows.ingest_benchmark import IngestBenchmarkWorkflow, ingest_workflow_id

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "ingest.json"
MB = 1024 * 1024
TARGET_RATIO, TARGET_PEAK_MB = 0.7, 200.0
SAMPLE_SECONDS = 0.05
console = Console()


def make_video(workdir: Path, size_mb: int) -> tuple[Path, Path]:
    """A 2 s noisy (so high-bitrate) clip, then that clip stream-copied in a loop up to size_mb."""
    clip, big = workdir / "clip.mp4", workdir / "media" / "big.mp4"
    big.parent.mkdir()
    quiet = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    subprocess.run(
        [*quiet, "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=2",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
         "-vf", "noise=alls=40:allf=t",  # noise defeats compression: ~35 MB/s of video, encoded in ~1 s
         "-c:v", "libx264", "-preset", "ultrafast", "-qp", "10", "-g", "30", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "64k", "-shortest", str(clip)],
        check=True,
    )  # fmt: skip
    loops = max(0, math.ceil(size_mb * MB / clip.stat().st_size) - 1)
    # -c copy: no re-encode, so 1 GB takes seconds; -fs trims to the asked size, faststart keeps it probeable
    subprocess.run(
        [*quiet, "-stream_loop", str(loops), "-i", str(clip), "-c", "copy",
         "-fs", str(size_mb * MB), "-movflags", "+faststart", str(big)],
        check=True,
    )  # fmt: skip
    return clip, big


def baseline_child(path: Path) -> None:
    """Runs in its own process: time `upload_file` of path into the private bucket, print JSON."""
    settings = Settings(_env_file=None)

    async def upload() -> float:
        async with s3_client(settings) as s3:
            start = time.perf_counter()
            await s3.upload_file(str(path), settings.r2_client_assets_bucket, "bench/baseline.mp4")
            return time.perf_counter() - start

    seconds = asyncio.run(upload())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb}))


class RssSampler(threading.Thread):
    """RSS of a process plus its children every 50 ms, stamped with wall time to match Temporal's clock."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.samples: list[tuple[float, float]] = []  # (epoch seconds, MB)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                rss = self.proc.memory_info().rss
                for child in self.proc.children(recursive=True):
                    try:
                        rss += child.memory_info().rss
                    except psutil.Error:
                        pass  # a child that just exited
            except psutil.Error:
                return
            self.samples.append((time.time(), rss / MB))
            self.halt.wait(SAMPLE_SECONDS)

    def peak(self, start: float = 0.0, end: float = math.inf) -> float:
        return max((mb for t, mb in self.samples if start <= t <= end), default=math.nan)

    def idle(self, seconds: float = 1.0) -> float:
        """Median over the last `seconds` while nothing runs (a single sample can catch a GC blip)."""
        time.sleep(seconds)
        recent = sorted(mb for t, mb in self.samples if t >= time.time() - seconds)
        return recent[len(recent) // 2]


def child_env(settings: Settings, max_bytes: int) -> dict[str, str]:
    """The worker's settings as environment variables; inherited ones (e.g. MULTIPART_CHUNK_BYTES) stay."""
    return os.environ | {
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": settings.database_url or "",
        "TEMPORAL_ADDRESS": settings.temporal_address or "",
        "TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "R2_ENDPOINT_URL": settings.r2_endpoint_url or "",
        "R2_ACCESS_KEY_ID": settings.r2_access_key_id,
        "R2_SECRET_ACCESS_KEY": settings.r2_secret_access_key.get_secret_value(),
        "R2_MARKET_BENCHMARKS_BUCKET": settings.r2_market_benchmarks_bucket,
        "R2_CLIENT_ASSETS_BUCKET": settings.r2_client_assets_bucket,
        "MAX_VIDEO_BYTES": str(max_bytes),
        "WORKER_GRACEFUL_SHUTDOWN_SECONDS": "2",
    }


async def ingest(settings: Settings, url: str) -> dict[str, float]:
    """Run IngestBenchmarkWorkflow on url; fetch_video's and the workflow's own times from the history."""
    client = await connect_temporal(settings)
    creative_id = uuid.uuid4()
    fields = BenchmarkFields(
        creative_name="bench", product_category="bench", market_cvr=0.05,
        market_longevity_days=30, avg_daily_clicks=1000,
    )  # fmt: skip
    handle = await client.start_workflow(
        IngestBenchmarkWorkflow.run,
        IngestBenchmarkInput(
            creative_id=creative_id, fields=fields, source=VideoSource(url=url),
            public_bucket=settings.r2_market_benchmarks_bucket,
            staging_bucket=settings.r2_client_assets_bucket,
            max_bytes=settings.max_video_bytes, prior_max_clicks=settings.benchmark_prior_max_clicks,
        ),
        id=ingest_workflow_id(creative_id),
        task_queue=TASK_QUEUE_MAIN,
    )  # fmt: skip
    await handle.result()
    times: dict[str, float] = {}
    fetch_id, attempt = -1, 0
    async for event in handle.fetch_history_events():
        stamp = event.event_time.ToNanoseconds() / 1e9
        if event.HasField("workflow_execution_started_event_attributes"):
            times["workflow_start"] = stamp
        elif event.HasField("workflow_execution_completed_event_attributes"):
            times["workflow_end"] = stamp
        elif event.activity_task_scheduled_event_attributes.activity_type.name == "fetch_video":
            fetch_id = event.event_id
        elif event.activity_task_started_event_attributes.scheduled_event_id == fetch_id:
            times["fetch_start"], attempt = stamp, event.activity_task_started_event_attributes.attempt
        elif event.activity_task_completed_event_attributes.scheduled_event_id == fetch_id:
            times["fetch_end"] = stamp
    times["fetch_attempt"] = attempt  # >1 means a retry: the figures then describe the last attempt only
    return times


async def run(settings: Settings, clip: Path, video: Path, base_url: str, workdir: Path) -> dict[str, Any]:
    """Baseline subprocess, then the worker subprocess: warm-up ingest, idle RSS, the big ingest."""
    env = child_env(settings, settings.max_video_bytes)
    # cwd=workdir: neither child picks up a developer's .env or .data/dev.env from the repo
    child = [sys.executable, "-m", "bench.ingest", "--baseline-child", str(video)]
    done = subprocess.run(child, env=env, cwd=workdir, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the baseline upload failed:\n{done.stderr[-3000:]}")
    baseline = json.loads(done.stdout.strip().splitlines()[-1])

    log_path = workdir / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "worker"], env=env, cwd=workdir, stdout=log, stderr=log
        )
    sampler = RssSampler(worker.pid)
    sampler.start()
    try:
        deadline = time.monotonic() + 60
        while "worker serving" not in log_path.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start; log:\n{log_tail(log_path)}")
            await asyncio.sleep(0.2)
        cold_idle = await asyncio.to_thread(sampler.idle)
        # a small ingest first, so one-time costs (workflow sandbox, lazy imports) are not counted as bytes
        (video.parent / clip.name).symlink_to(clip)
        await ingest(settings, f"{base_url}/{clip.name}")
        warm_idle = await asyncio.to_thread(sampler.idle, 2.0)
        start = time.time()
        times = await ingest(settings, f"{base_url}/{video.name}")
        wall = time.time() - start
        await asyncio.sleep(0.2)  # one more sample after completion
        return {
            "baseline": baseline,
            "times": times,
            "wall_seconds": wall,
            "cold_idle_mb": cold_idle,
            "idle_mb": warm_idle,
            "peak_mb": sampler.peak(start),
            "fetch_peak_mb": sampler.peak(times["fetch_start"], times["fetch_end"]),
        }
    finally:
        sampler.halt.set()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def report(raw: dict[str, Any], size: int) -> dict[str, Any]:
    """Print the table with PASS/FAIL per target; return the figures for the JSON file."""
    t, base = raw["times"], raw["baseline"]
    fetch_s, whole_s = t["fetch_end"] - t["fetch_start"], t["workflow_end"] - t["workflow_start"]
    base_mbps, fetch_mbps = size / MB / base["seconds"], size / MB / fetch_s
    ratio = fetch_mbps / base_mbps
    fig = {
        "size_mb": size / MB, "baseline_seconds": base["seconds"], "baseline_mb_s": base_mbps,
        "baseline_peak_rss_mb": base["peak_rss_mb"], "fetch_seconds": fetch_s, "fetch_mb_s": fetch_mbps,
        "fetch_attempt": t["fetch_attempt"], "throughput_ratio": ratio, "ingest_seconds": whole_s,
        "ingest_wall_seconds": raw["wall_seconds"], "worker_peak_rss_mb": raw["peak_mb"],
        "worker_fetch_peak_rss_mb": raw["fetch_peak_mb"], "worker_idle_rss_mb": raw["idle_mb"],
        "worker_cold_idle_rss_mb": raw["cold_idle_mb"], "ingest_added_rss_mb": raw["peak_mb"] - raw["idle_mb"],
        "ratio_pass": ratio >= TARGET_RATIO, "memory_pass": raw["peak_mb"] < TARGET_PEAK_MB,
    }  # fmt: skip
    verdict = {True: "[green]PASS[/]", False: "[red]FAIL[/]"}
    table = Table(title=f"Ingest of a {size / MB:.0f} MB MP4 from a local URL (MB = 2^20 bytes)")
    for column in ("figure", "value", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    table.add_row("baseline: aioboto3 upload_file", f"{base['seconds']:.2f} s  {base_mbps:.0f} MB/s", "")
    table.add_row("worker: fetch_video step", f"{fetch_s:.2f} s  {fetch_mbps:.0f} MB/s", "")
    table.add_row(
        "throughput ratio fetch / baseline", f"{ratio:.2f}", f"≥ {TARGET_RATIO}  {verdict[fig['ratio_pass']]}"
    )
    table.add_row("whole ingest workflow (fetch+probe+publish+record)", f"{whole_s:.2f} s", "")
    table.add_row(
        "worker peak RSS (whole ingest)", f"{raw['peak_mb']:.0f} MB",
        f"< {TARGET_PEAK_MB:.0f} MB  {verdict[fig['memory_pass']]}",
    )  # fmt: skip
    table.add_row("worker peak RSS during fetch", f"{raw['fetch_peak_mb']:.0f} MB", "")
    table.add_row(
        "worker idle RSS (after warm-up / cold)", f"{raw['idle_mb']:.0f} / {raw['cold_idle_mb']:.0f} MB", ""
    )
    table.add_row("memory added by the ingest (peak − idle)", f"{fig['ingest_added_rss_mb']:.0f} MB", "")
    table.add_row("baseline process peak RSS", f"{base['peak_rss_mb']:.0f} MB", "")
    console.print(table)
    if t["fetch_attempt"] > 1:
        console.print(f"[yellow]fetch_video ran {t['fetch_attempt']} attempts; timings are the last one's")
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="video size in MiB (default 1024)")
    parser.add_argument("--baseline-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        return baseline_child(args.baseline_child)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="ugc-bench-") as tmp:
        workdir = Path(tmp)
        console.print(f"making a {args.size_mb} MB MP4 in {workdir} …")
        clip, video = make_video(workdir, args.size_mb)
        size = video.stat().st_size
        base = Settings(
            _env_file=None, data_dir=workdir / "stack", database_url=None, temporal_address=None,
            r2_endpoint_url=None, temporal_port=free_port(), temporal_ui_port=free_port(),
            s3_port=free_port(), max_video_bytes=max(2 * 1024 * MB, 2 * size),
        )  # fmt: skip
        stack = DevStack(base, headless=True, free_ports=True)
        console.print("starting Temporal, PostgreSQL and S3 on free ports …")
        env = stack.start()
        try:
            settings = base.model_copy(
                update={
                    "database_url": env["DATABASE_URL"],
                    "temporal_address": env["TEMPORAL_ADDRESS"],
                    "r2_endpoint_url": env["R2_ENDPOINT_URL"],
                }
            )
            upgrade_head(env["DATABASE_URL"])
            with serve_directory(video.parent) as base_url:
                console.print("baseline upload, then the worker's ingest …")
                raw = asyncio.run(run(settings, clip, video, base_url, workdir))
        finally:
            stack.stop()
    figures = report(raw, size)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures | {"cpus": os.cpu_count(), "at": time.time()}, indent=2) + "\n")
    console.print(f"figures written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
