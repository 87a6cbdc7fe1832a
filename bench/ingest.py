"""Ingest benchmark: a ~1 GB video from a local URL through the real worker vs a plain aioboto3 upload.

Targets (issue): the worker's peak RSS stays under 200 MB, and the fetch step reaches at least 0.7x the
throughput of `upload_file` on the same bytes. Machines are shared and noisy, so throughput is judged only
as a ratio against the baseline measured in the same run (rounds interleaved, medians); nothing here fails
on a timing.
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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table
from temporalio.client import Client

from bench.stack import activity_timing, child_env, full_stack
from clients import TASK_QUEUE_MAIN, connect_temporal, s3_client
from devstack.process import log_tail
from devstack.samples import ffmpeg_exe
from models.schemas.benchmarks import BenchmarkFields, IngestBenchmarkInput, VideoSource
from settings import Settings
from tests.support.fileserver import serve_directory
from workflows.analyze_creative import analysis_workflow_id
from workflows.ingest_benchmark import IngestBenchmarkWorkflow, ingest_workflow_id

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "ingest.json"
MB = 1024 * 1024
TARGET_RATIO, TARGET_PEAK_MB = 0.7, 200.0
console = Console()


def make_video(workdir: Path, size_mb: int) -> tuple[Path, Path]:
    """A 2 s noisy (so high-bitrate) clip, then that clip stream-copied in a loop up to size_mb."""
    clip, big = workdir / "media" / "clip.mp4", workdir / "media" / "big.mp4"
    clip.parent.mkdir()
    ffmpeg = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    subprocess.run(
        [*ffmpeg, "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=2",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
         "-vf", "noise=alls=40:allf=t",  # noise defeats compression: ~35 MB per second, encoded in ~1 s
         "-c:v", "libx264", "-preset", "ultrafast", "-qp", "10", "-g", "30", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "64k", "-shortest", str(clip)],
        check=True,
    )  # fmt: skip
    loops = max(0, math.ceil(size_mb * MB / clip.stat().st_size) - 1)
    # -c copy: no re-encode, so 1 GB takes seconds; -fs trims to the size asked, faststart keeps it probeable
    subprocess.run(
        [*ffmpeg, "-stream_loop", str(loops), "-i", str(clip), "-c", "copy",
         "-fs", str(size_mb * MB), "-movflags", "+faststart", str(big)],
        check=True,
    )  # fmt: skip
    return clip, big


def baseline_child(path: Path) -> None:
    """In its own process: time `upload_file` of path into the private bucket; print JSON."""
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
    """RSS of a process and its children every 50 ms, stamped with wall time to match Temporal's clock."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.samples: list[tuple[float, float]] = []  # (epoch seconds, MB)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.samples.append((time.time(), sum(p.memory_info().rss for p in procs) / MB))
            except psutil.NoSuchProcess as exc:
                if exc.pid == self.proc.pid:
                    return
            self.halt.wait(0.05)  # a child that just exited costs one sample

    def peak(self, start: float, end: float) -> float:
        return max((mb for t, mb in self.samples if start <= t <= end), default=math.nan)

    def idle(self, seconds: float) -> float:
        """Median over the next `seconds` while nothing runs (one sample may catch a GC blip)."""
        start = time.time()
        time.sleep(seconds)
        return statistics.median(mb for t, mb in self.samples if t >= start)


def baseline(env: dict[str, str], workdir: Path, video: Path) -> dict[str, float]:
    # cwd=workdir, as for the worker: no child picks up a developer's .env or .data/dev.env
    argv = [sys.executable, "-m", "bench.ingest", "--baseline-child", str(video)]
    done = subprocess.run(argv, env=env, cwd=workdir, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the baseline upload failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def spawn(args: list[str], env: dict[str, str], cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """The project's worker exactly as deployed (`python -m worker`), its output in a log file."""
    with log_path.open("wb") as log:
        return subprocess.Popen([sys.executable, *args], env=env, cwd=cwd, stdout=log, stderr=log)


async def ingest(client: Client, settings: Settings, url: str) -> dict[str, float]:
    """Run IngestBenchmarkWorkflow on url; fetch_video's and the workflow's own times from the history."""
    creative_id = uuid.uuid4()
    # Park the analysis: its id already taken, the ingest skips the child (its re-ingest path), so the
    # figures are the ingest's alone and no frame analysis runs in the worker meanwhile.
    await client.start_workflow(
        "AnalyzeCreativeWorkflow", id=analysis_workflow_id(creative_id), task_queue="bench-parked"
    )
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
        id=ingest_workflow_id(creative_id), task_queue=TASK_QUEUE_MAIN,
    )  # fmt: skip
    await handle.result()
    return await activity_timing(handle, "fetch_video", "fetch")


async def run(settings: Settings, clip: Path, video: Path, url: str, workdir: Path, rounds: int) -> dict[str, Any]:
    """Start the worker; warm it up; then per round a baseline upload and an ingest, interleaved."""
    env, log_path, other_log = child_env(settings), workdir / "worker.log", workdir / "worker-main.log"
    # as deployed with the queues apart: the worker moving the bytes (ugc-transfer) is the one measured;
    # the workflows, database writes and the FFmpeg probe run in a second worker beside it
    worker = spawn(["-m", "worker"], env | {"WORKER_QUEUES": "transfer"}, workdir, log_path)
    other = spawn(["-m", "worker"], env | {"WORKER_QUEUES": "main,media"}, workdir, other_log)
    sampler = RssSampler(worker.pid)
    sampler.start()
    try:
        deadline = time.monotonic() + 60
        for proc, path in ((worker, log_path), (other, other_log)):
            while "worker serving" not in path.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a worker did not start; log:\n{log_tail(path)}")
                await asyncio.sleep(0.2)
        client = await connect_temporal(settings)
        cold_idle = await asyncio.to_thread(sampler.idle, 1.0)
        # a small ingest first: one-time costs (workflow sandbox, first probe) are not bytes in flight
        await ingest(client, settings, f"{url}/{clip.name}")
        idle = await asyncio.to_thread(sampler.idle, 2.0)
        results = []
        for n in range(rounds):
            console.print(f"round {n + 1}/{rounds}: baseline upload, then the worker's ingest …")
            base = await asyncio.to_thread(baseline, env, workdir, video)
            times = await ingest(client, settings, f"{url}/{video.name}")
            await asyncio.sleep(0.2)  # let the sampler pass the completion stamp
            results.append(base | times | {
                "peak_mb": sampler.peak(times["workflow_start"], times["workflow_end"]),
                "fetch_peak_mb": sampler.peak(times["fetch_start"], times["fetch_end"]),
            })  # fmt: skip
        return {"rounds": results, "cold_idle_mb": cold_idle, "idle_mb": idle}
    finally:
        sampler.halt.set()
        for proc in (worker, other):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def summarise(raw: dict[str, Any], size: int) -> dict[str, Any]:
    """Medians of the timings, maxima of the memory; the ratio is of the two median throughputs."""
    rounds, mb = raw["rounds"], size / MB

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    fetch_s = statistics.median(r["fetch_end"] - r["fetch_start"] for r in rounds)
    fig: dict[str, Any] = {
        "size_mb": mb, "rounds": len(rounds), "baseline_seconds": med("seconds"),
        "baseline_mb_s": mb / med("seconds"), "fetch_seconds": fetch_s, "fetch_mb_s": mb / fetch_s,
        "round_ratios": [r["seconds"] / (r["fetch_end"] - r["fetch_start"]) for r in rounds],
        "ingest_seconds": statistics.median(r["workflow_end"] - r["workflow_start"] for r in rounds),
        "worker_peak_rss_mb": max(r["peak_mb"] for r in rounds),
        "worker_fetch_peak_rss_mb": max(r["fetch_peak_mb"] for r in rounds),
        "worker_idle_rss_mb": raw["idle_mb"], "worker_cold_idle_rss_mb": raw["cold_idle_mb"],
        "baseline_peak_rss_mb": max(r["peak_rss_mb"] for r in rounds),
        "fetch_retries": sum(r["fetch_attempt"] > 1 for r in rounds),
    }  # fmt: skip
    fig["throughput_ratio"] = fig["fetch_mb_s"] / fig["baseline_mb_s"]
    fig["ingest_added_rss_mb"] = fig["worker_peak_rss_mb"] - fig["worker_idle_rss_mb"]
    fig["ratio_pass"] = fig["throughput_ratio"] >= TARGET_RATIO
    fig["memory_pass"] = fig["worker_peak_rss_mb"] < TARGET_PEAK_MB
    return fig


def print_table(fig: dict[str, Any]) -> None:
    verdict = {True: "[green]PASS[/]", False: "[red]FAIL[/]"}
    table = Table(title=f"Ingest of a {fig['size_mb']:.0f} MB MP4 from a local URL, {fig['rounds']} rounds")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    per_round = ", ".join(f"{r:.2f}" for r in fig["round_ratios"])
    rows = [
        ("baseline: aioboto3 upload_file", f"{fig['baseline_seconds']:.2f} s  {fig['baseline_mb_s']:.0f} MB/s", ""),
        ("worker: fetch_video step", f"{fig['fetch_seconds']:.2f} s  {fig['fetch_mb_s']:.0f} MB/s", ""),
        ("throughput ratio fetch / baseline", f"{fig['throughput_ratio']:.2f} ({per_round})",
         f"≥ {TARGET_RATIO}  {verdict[fig['ratio_pass']]}"),
        ("whole ingest workflow", f"{fig['ingest_seconds']:.2f} s", ""),
        ("transfer worker peak RSS, whole ingest", f"{fig['worker_peak_rss_mb']:.0f} MB",
         f"< {TARGET_PEAK_MB:.0f} MB  {verdict[fig['memory_pass']]}"),
        ("transfer worker peak RSS, fetch step", f"{fig['worker_fetch_peak_rss_mb']:.0f} MB", ""),
        ("transfer worker idle RSS, warmed up / at start",
         f"{fig['worker_idle_rss_mb']:.0f} / {fig['worker_cold_idle_rss_mb']:.0f} MB", ""),
        ("added by the ingest (peak − warm idle)", f"{fig['ingest_added_rss_mb']:.0f} MB", ""),
        ("baseline process peak RSS", f"{fig['baseline_peak_rss_mb']:.0f} MB", ""),
    ]  # fmt: skip
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print("medians over rounds (per-round ratios in brackets); memory: maxima; MB = 2^20 B")
    if fig["fetch_retries"]:
        console.print(f"[yellow]fetch_video was retried in {fig['fetch_retries']} round(s): last attempts timed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="video size in MiB (default 1024)")
    parser.add_argument("--rounds", type=int, default=3, help="baseline/ingest pairs (default 3)")
    parser.add_argument("--baseline-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        return baseline_child(args.baseline_child)
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")  # pgserver's platformdirs, harmless
    with tempfile.TemporaryDirectory(prefix="ugc-bench-") as tmp:
        workdir = Path(tmp)
        console.print(f"making a {args.size_mb} MB MP4 in {workdir} …")
        clip, video = make_video(workdir, args.size_mb)
        size = video.stat().st_size
        console.print("starting Temporal, PostgreSQL and S3 on free ports …")
        with (
            full_stack(workdir, max_video_bytes=max(2048 * MB, 2 * size)) as (settings, _),
            serve_directory(video.parent) as url,
        ):
            raw = asyncio.run(run(settings, clip, video, url, workdir, args.rounds))
    fig = summarise(raw, size)
    print_table(fig)
    extra = {"multipart_chunk_bytes": settings.multipart_chunk_bytes, "cpus": os.cpu_count(), "at": time.time()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fig | extra, indent=2) + "\n")
    console.print(f"figures written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
