"""Frame benchmark: read_frames on two generated videos in S3 vs the fastest ffmpeg command line for them.

Targets (issue): time ≤ 1.0x that ffmpeg CLI; S3 bytes ≤ 25 % of the 60 s MP4; peak memory reported; input
tokens per Claude analysis ≤ 4,000. Machines are noisy: times are judged as ratios within one run, never asserted.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import boto3
from rich.console import Console
from rich.table import Table

from clients import s3_config
from devstack import DevStack
from devstack.process import free_port
from devstack.samples import ffmpeg_exe
from domain.frames import FRAME_LABELS, scaled_size
from media.frames import FrameImage, read_frames
from models.schemas.analysis import Frame
from settings import Settings
from vision.claude import OUTPUT_FORMAT, build_content

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "frames.json"
MB = 1024 * 1024
# the shipped default long edge (FRAME_MAX_EDGE), so the token figure is what production sends
MAX_EDGE = int(Settings.model_fields["frame_max_edge"].default)
TIMES, RUNS, BYTE_RUNS = [0.0, 3.0, 10.0], 7, 3
TARGET_RATIO, TARGET_BYTES, TARGET_TOKENS = 1.0, 0.25, 4000
CHARS_PER_TOKEN = 3.5  # rough average for English and JSON: no public tokenizer, count_tokens needs a key
# (name, width, height, seconds, video bitrate): a phone export and a landscape 720p clip
VIDEOS = [("60 s 1080x1920", 1080, 1920, 60, "8M"), ("15 s 1280x720", 1280, 720, 15, "3M")]
QUIET = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
# decoder thread counts give the same frames at different speeds; the fastest is the baseline
VARIANTS: dict[str, list[str]] = {"default": [], "threads 1": ["-threads", "1"], "threads 2": ["-threads", "2"]}
# Fresh interpreters, so peaks are the measured code's own: Linux carries ru_maxrss across fork+exec, so a
# child of this large process would report this process' peak; VmHWM, or a small parent, avoids that
PEAK = "import resource as r, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
PEAK += "print(r.getrusage(r.RUSAGE_CHILDREN).ru_maxrss)"
CHILD = """import json, sys
from pathlib import Path
from media.frames import read_frames
status = lambda: Path('/proc/self/status').read_text().splitlines()
hwm = lambda: int(next(l for l in status() if l.startswith('VmHWM')).split()[1])
imports = hwm()
read_frames(sys.argv[1], [0.0, 3.0, 10.0], int(sys.argv[2]))
print(json.dumps({"import_kb": imports, "peak_kb": hwm()}))"""
VERDICT = {None: "", True: "  [green]PASS[/]", False: "  [red]FAIL[/]"}
console = Console(width=max(Console().width, 132))


def make_video(path: Path, width: int, height: int, seconds: int, rate: str) -> Path:
    """H.264 yuv420p 30 fps, keyframe every 2 s, noise so the bitrate is real, AAC, faststart."""
    source = f"testsrc2=s={width}x{height}:r=30:d={seconds},noise=alls=12:allf=t"
    subprocess.run(
        [ffmpeg_exe(), *QUIET, "-f", "lavfi", "-i", source,
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
         "-c:v", "libx264", "-preset", "superfast", "-b:v", rate, "-maxrate", rate, "-bufsize", "16M", "-g", "60",
         "-sc_threshold", "0",  # a fixed 2 s GOP as phone exports have; x264 would cut on the noise
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


class CountingProxy(ThreadingHTTPServer):
    """Forwards GETs (Range kept) to S3 and counts the body bytes handed to the client."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream, self.sent, self.lock = upstream, 0, threading.Lock()
        self.ranges: list[str] = []

    def take(self) -> tuple[int, list[str]]:
        with self.lock:
            counted, self.sent, self.ranges = (self.sent, self.ranges), 0, []
        return counted


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingProxy

    def do_GET(self) -> None:
        # a small send buffer: bytes counted but never read by a client that hung up stay few
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        # path and query unchanged and Host = the signed S3 host:port (http.client's default): SigV4 holds
        upstream = http.client.HTTPConnection(self.server.upstream, timeout=30)
        rng = self.headers.get("Range")
        upstream.request("GET", self.path, headers={"Range": rng} if rng else {})
        resp = upstream.getresponse()
        self.send_response(resp.status)
        for name in ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "ETag", "Last-Modified"):
            if value := resp.getheader(name):
                self.send_header(name, value)
        self.send_header("Connection", "close")  # else FFmpeg reuses the socket after a bounded range
        self.end_headers()
        with self.server.lock:
            self.server.ranges.append(rng or "whole")
        try:
            while chunk := resp.read(64 * 1024):
                self.wfile.write(chunk)
                with self.server.lock:
                    self.server.sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader seeked elsewhere and hung up, as FFmpeg does on open-ended ranges
        finally:
            upstream.close()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def ffmpeg_args(url: str, size: tuple[int, int], out: Path, variant: list[str]) -> list[str]:
    """One process, three input seeks, scaled like read_frames, JPEG near PIL's quality 85."""
    args = [ffmpeg_exe(), *QUIET]
    for t in TIMES:
        args += [*variant, "-ss", str(t), "-i", url]
    for i in range(len(TIMES)):
        args += ["-map", f"{i}:v:0", "-frames:v", "1", "-vf", f"scale={size[0]}:{size[1]}:flags=bilinear"]
        args += ["-q:v", "3", str(out / f"{i}.jpg")]
    return args


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def time_video(url: str, workdir: Path) -> dict[str, Any]:
    """Interleaved runs, so machine noise hits both sides alike; medians per ffmpeg variant and read_frames."""
    with av.open(url) as container:
        stream = container.streams.video[0]
        size = scaled_size(stream.width, stream.height, MAX_EDGE)
    argv = {name: ffmpeg_args(url, size, workdir, extra) for name, extra in VARIANTS.items()}
    for args in argv.values():
        subprocess.run(args, check=True)  # warm-up: page cache, S3 metadata, lazy library loading
    images, _ = read_frames(url, TIMES, MAX_EDGE)
    runs: dict[str, list[float]] = {name: [] for name in [*argv, "read_frames"]}
    for _ in range(RUNS):
        for name, args in argv.items():
            runs[name].append(timed(partial(subprocess.run, args, check=True)))
        runs["read_frames"].append(timed(lambda: read_frames(url, TIMES, MAX_EDGE)))
    med = {name: statistics.median(values) for name, values in runs.items()}
    best = min(VARIANTS, key=lambda name: med[name])
    return {"medians": med, "best": best, "baseline_s": med[best], "candidate_s": med["read_frames"],
            "ratio": med["read_frames"] / med[best], "frame_sizes": [(i.width, i.height) for i in images],
            "jpeg_bytes": sum(len(i.jpeg) for i in images),
            "ffmpeg_jpeg_bytes": sum((workdir / f"{i}.jpg").stat().st_size for i in range(len(TIMES))),
            "images": images, "best_args": argv[best]}  # fmt: skip


def traffic(proxy: CountingProxy, url: str, best_args: list[str]) -> dict[str, Any]:
    """Bytes S3 sent through the proxy: read_frames (a fresh child, then in-process) and the ffmpeg CLI."""
    via = urlsplit(url)._replace(netloc=f"127.0.0.1:{proxy.server_port}").geturl()
    done = subprocess.run([sys.executable, "-c", CHILD, via, str(MAX_EDGE)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the read_frames child failed:\n{done.stderr[-2000:]}")
    samples = [proxy.take()]
    for _ in range(BYTE_RUNS - 1):  # FFmpeg's read-ahead vs seek choice varies, so several samples
        read_frames(via, TIMES, MAX_EDGE)
        samples.append(proxy.take())
    args = [sys.executable, "-c", PEAK, *(via if a == url else a for a in best_args)]
    peak_kb = int(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    ffmpeg_sent, ffmpeg_ranges = proxy.take()
    return {"child": json.loads(done.stdout), "sent": [s for s, _ in samples], "ranges": [r for _, r in samples],
            "ffmpeg_sent": ffmpeg_sent, "ffmpeg_ranges": ffmpeg_ranges, "ffmpeg_kb": peak_kb}  # fmt: skip


def tokens(images: list[FrameImage]) -> dict[str, float]:
    """Input tokens of one analysis: images at w×h/750, text and the answer's JSON schema at CHARS_PER_TOKEN."""
    frames = [
        Frame(label=label, key=f"r2://b/{label}.jpg", requested_s=i.requested_s, timestamp_s=i.timestamp_s,
              width=i.width, height=i.height, sha256="0" * 64)
        for label, i in zip(FRAME_LABELS, images, strict=True)
    ]  # fmt: skip
    text = sum(len(str(b.get("text", ""))) for b in build_content([(f, b"") for f in frames])) / CHARS_PER_TOKEN
    schema = len(json.dumps(OUTPUT_FORMAT)) / CHARS_PER_TOKEN
    image = sum(i.width * i.height / 750 for i in images)
    return {"images": image, "text": text, "schema": schema, "total": image + text + schema}


def frame_tokens(edge: int) -> float:
    """Tokens of three frames at FRAME_MAX_EDGE=edge, for the video that costs more."""
    return max(3 * w * h / 750 for w, h in (scaled_size(sw, sh, edge) for _, sw, sh, *_ in VIDEOS))


def report(results: list[dict[str, Any]], net: dict[str, Any], size: int) -> dict[str, Any]:
    """Print the table with PASS/FAIL per target; return the figures for the JSON file."""
    table = Table(title=f"Frames at {TIMES} s, long edge {MAX_EDGE}, from S3 (MB = 2^20 bytes, medians of {RUNS})")
    for column in ("figure", "value", "baseline", "ratio", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")

    def row(figure: str, value: str, base: str = "", ratio: str = "", target: str = "", ok: bool | None = None) -> None:
        table.add_row(figure, value, base, ratio, target + VERDICT[ok])

    for (name, *_), r in zip(VIDEOS, results, strict=True):
        r |= {"name": name, "pass": r["ratio"] <= TARGET_RATIO}
        row(f"{name}: read_frames vs ffmpeg CLI ({r['best']})", f"{r['candidate_s']:.3f} s",
            f"{r['baseline_s']:.3f} s", f"{r['ratio']:.2f}×", f"≤ {TARGET_RATIO}×", r["pass"])  # fmt: skip
    worst = max(net["sent"]) / size
    row(f"60 s: bytes S3 sent, worst of {BYTE_RUNS} (GETs)", f"{max(net['sent']) / MB:.1f} MB "
        f"({max(map(len, net['ranges']))})", f"{net['ffmpeg_sent'] / MB:.1f} MB ({len(net['ffmpeg_ranges'])})",
        f"{worst:.1%} of {size / MB:.0f} MB", f"≤ {TARGET_BYTES:.0%}", worst <= TARGET_BYTES)  # fmt: skip
    row("  … each run", " / ".join(f"{s / MB:.1f}" for s in net["sent"]) + " MB")
    peak, imports, ffmpeg = (kb / 1024 for kb in (net["child"]["peak_kb"], net["child"]["import_kb"], net["ffmpeg_kb"]))
    row("60 s: peak RSS of a fresh process (imports alone)", f"{peak:.0f} MB ({imports:.0f})", f"{ffmpeg:.0f} MB",
        f"{peak / ffmpeg:.2f}×", "reported")  # fmt: skip
    tok = [tokens(r.pop("images")) for r in results]
    top = max(tok, key=lambda t: t["total"])
    parts = f"{top['images']:.0f} + {top['text']:.0f} + {top['schema']:.0f} = {top['total']:.0f}"
    fits = top["total"] <= TARGET_TOKENS
    row("input tokens per analysis: images + text + schema", parts, "", "", f"≤ {TARGET_TOKENS}", fits)
    fixed = top["text"] + top["schema"]
    edge = next(e for e in range(MAX_EDGE, 64, -2) if fixed + frame_tokens(e) <= TARGET_TOKENS)  # largest that fits
    fit = fixed + frame_tokens(edge)
    if not fits:
        row(f"  … with FRAME_MAX_EDGE={edge}, the largest that fits", f"{fit:.0f}", target=f"≤ {TARGET_TOKENS}")
    console.print(table)
    for r in results:
        del r["best_args"]
    return {"videos": results, "object_bytes": size, "bytes": net, "bytes_fraction_worst": worst,
            "peak_rss_mb": peak, "import_rss_mb": imports, "ffmpeg_peak_rss_mb": ffmpeg, "tokens": tok,
            "fitting_max_edge": edge, "tokens_at_fitting_edge": fit, "chars_per_token": CHARS_PER_TOKEN}  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ugc-bench-frames-") as tmp:
        workdir = Path(tmp)
        paths = []
        for name, w, h, secs, rate in VIDEOS:
            console.print(f"encoding the {name} video …")
            paths.append(make_video(workdir / f"{w}x{h}.mp4", w, h, secs, rate))
        # non-empty database/Temporal settings: DevStack then starts only S3
        base = Settings(_env_file=None, data_dir=workdir / "stack", database_url="unused",
                        temporal_address="unused", r2_endpoint_url=None, s3_port=free_port())  # fmt: skip
        stack = DevStack(base, headless=True, free_ports=True)
        console.print("starting S3 on a free port …")
        endpoint = stack.start()["R2_ENDPOINT_URL"]
        try:
            s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=base.r2_access_key_id,
                              aws_secret_access_key=base.r2_secret_access_key.get_secret_value(),
                              region_name=base.r2_region, config=s3_config(3))  # fmt: skip
            bucket, urls = base.r2_client_assets_bucket, []
            for path in paths:
                s3.upload_file(str(path), bucket, f"bench/{path.name}")
                params = {"Bucket": bucket, "Key": f"bench/{path.name}"}
                urls.append(s3.generate_presigned_url("get_object", Params=params, ExpiresIn=3600))
            results = []
            for (name, *_), url in zip(VIDEOS, urls, strict=True):
                console.print(f"timing {name}: {RUNS} rounds of {len(VARIANTS)} ffmpeg variants and read_frames …")
                results.append(time_video(url, workdir))
            proxy = CountingProxy(urlsplit(endpoint).netloc)
            threading.Thread(target=proxy.serve_forever, daemon=True).start()
            try:
                console.print("counting bytes through a proxy, peak memory in fresh processes …")
                net = traffic(proxy, urls[0], results[0]["best_args"])
            finally:
                proxy.shutdown()
                proxy.server_close()
        finally:
            stack.stop()
        size = paths[0].stat().st_size
    figures = report(results, net, size)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures | {"cpus": os.cpu_count(), "at": time.time()}, indent=2) + "\n")
    console.print(f"figures written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
