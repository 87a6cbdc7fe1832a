"""Media memory benchmark: peak RSS of each media step on the largest video the limits pass, against the same
steps on a 1080p video and the bare imports, all measured in this run; and a far larger video refused cheaply.

Targets (README: media limits): every step of a media activity on a video at MAX_VIDEO_WIDTH x MAX_VIDEO_HEIGHT
stays under STEP_TARGET_MB (a worker serves one activity per core, so a 2-core media worker stays well under
2 GB); a 16000x16000 video is refused by the probe before a frame of it is decoded (peak within
REFUSED_TARGET_MB of the imports). Each step runs in a fresh interpreter, so a peak is that step's own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from devstack.samples import ffmpeg_exe
from models.schemas.media import DEFAULT_MAX_HEIGHT, DEFAULT_MAX_WIDTH
from tests.support.fileserver import serve_directory

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "media_memory.json"
QUIET = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
SECONDS, FPS = 6, 15  # enough frames for the decoder's and encoder's buffers to fill; short to encode
# (label, width, height): the baseline, the largest 16:9 (the shot pass encodes its crop), the most pixels
WIDE = DEFAULT_MAX_WIDTH * 9 // 16
VIDEOS = [
    ("1920x1080 (baseline)", 1920, 1080),
    (f"{DEFAULT_MAX_WIDTH}x{WIDE} (limit, 16:9)", DEFAULT_MAX_WIDTH, WIDE),
    (f"{DEFAULT_MAX_WIDTH}x{DEFAULT_MAX_HEIGHT} (limit, most pixels)", DEFAULT_MAX_WIDTH, DEFAULT_MAX_HEIGHT),
]
HUGE = 16000  # one frame; making it takes ffmpeg ~1.5 GB for a few seconds
ALL, PAIR = "all four, one process", "shot pass ∥ cut (two media slots)"
STEPS = ["probe", "frames", "shot pass", "cut", ALL, PAIR]
STEP_TARGET_MB, REFUSED_TARGET_MB = 1024, 128
VERDICT = {True: "[green]PASS[/]", False: "[red]FAIL[/]"}
console = Console(width=max(Console().width, 132))


def make_video(path: Path, width: int, height: int, seconds: float = SECONDS, fps: int = FPS) -> Path:
    """H.264 + AAC faststart MP4, a keyframe every 2 s, a scene change half way (so the shot pass finds a cut)."""
    half = seconds / 2
    video = (
        f"testsrc2=s={width}x{height}:r={fps}:d={half}[a];mandelbrot=s={width}x{height}:r={fps}[m];"
        f"[m]trim=duration={half}[b];[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]"
    )
    subprocess.run(
        [ffmpeg_exe(), *QUIET, "-filter_complex", video,
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}", "-map", "[v]", "-map", "0:a",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", str(2 * fps), "-c:a", "aac", "-b:a", "64k",
         "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


def make_huge(path: Path) -> tuple[Path, Path]:
    """One 16000x16000 H.264 frame, with its index at the end, and a faststart copy (index first)."""
    subprocess.run(
        [ffmpeg_exe(), *QUIET, "-f", "lavfi", "-i", f"color=c=gray:s={HUGE}x{HUGE}:r=25:d=0.04", "-frames:v", "1",
         "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    faststart = path.with_name(f"faststart-{path.name}")
    subprocess.run([ffmpeg_exe(), *QUIET, "-i", str(path), "-c", "copy", "-movflags", "+faststart", str(faststart)])
    return faststart, path


def _hwm_mb() -> float:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def child(step: str, url: str, size: int, workdir: str) -> None:
    """One step in this fresh interpreter: its peak, the imports' peak and ffmpeg's (the cut's subprocess)."""
    import resource

    from domain.failures import Failure
    from media.clipping import cut_clip
    from media.frames import read_frames
    from media.probe import probe_url
    from media.shot_pass import shot_pass
    from settings import Settings

    defaults = Settings.model_fields
    timestamps, max_edge = defaults["frame_timestamps"].get_default(call_default_factory=True), 1024
    work = Path(workdir)
    imports = _hwm_mb()
    outcome = "ok"

    def shots() -> None:
        shot_pass(url, work / "vertical.mp4", 1920)  # CLIP_MAX_EDGE, activities/clip_media.py

    def cut() -> None:
        cut_clip(url, work / "clip.mp4", 0.0, SECONDS * 0.75, True, 1920)

    try:
        if step in ("probe", ALL):
            probe_url(url, size)
        if step in ("frames", ALL):
            read_frames(url, timestamps, max_edge)
        if step in ("shot pass", ALL):
            shots()
        if step in ("cut", ALL):
            cut()
        if step == PAIR:  # what a 2-core media worker may run at once (one activity per core)
            with ThreadPoolExecutor(2) as pool:
                for future in [pool.submit(shots), pool.submit(cut)]:
                    future.result()
    except Failure as failure:
        outcome = f"{type(failure).__name__}: {failure}"
    ffmpeg_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"imports_mb": imports, "peak_mb": _hwm_mb(), "ffmpeg_mb": ffmpeg_mb, "outcome": outcome}))


def measure(step: str, url: str, size: int, workdir: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.media_memory", "--child", step, url, str(size), str(workdir)],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(workdir: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"videos": {}, "steps": STEPS}
    with serve_directory(workdir) as base:  # over HTTP, as the worker reads presigned URLs
        for label, width, height in VIDEOS:
            console.print(f"making {label} …")
            path = make_video(workdir / f"{width}x{height}.mp4", width, height)
            rows = {}
            for step in STEPS:
                rows[step] = measure(step, f"{base}/{path.name}", path.stat().st_size, workdir)
                console.print(f"  {step}: {rows[step]['peak_mb']:.0f} MB (+ ffmpeg {rows[step]['ffmpeg_mb']:.0f} MB)")
            figures["videos"][label] = rows
        console.print(f"making {HUGE}x{HUGE} …")
        figures["refused"] = {
            label: measure("probe", f"{base}/{huge.name}", huge.stat().st_size, workdir)
            for label, huge in zip(("index first", "index at the end"), make_huge(workdir / "huge.mp4"), strict=True)
        }
    return figures


def print_table(figures: dict[str, Any]) -> None:
    labels = list(figures["videos"])
    baseline = figures["videos"][labels[0]]
    table = Table("step", *labels, "ratio to 1080p", "target", title="peak RSS of a media step, MB (Python + ffmpeg)")
    imports = baseline["probe"]["imports_mb"]
    table.add_row("interpreter + imports (baseline)", *(f"{figures['videos'][la]['probe']['imports_mb']:.0f}"
                                                       for la in labels), "", "")  # fmt: skip
    for step in STEPS:
        totals = [figures["videos"][label][step]["peak_mb"] + figures["videos"][label][step]["ffmpeg_mb"]
                  for label in labels]  # fmt: skip
        worst = max(totals[1:])
        target = f"≤ {STEP_TARGET_MB} MB {VERDICT[worst <= STEP_TARGET_MB]}"
        table.add_row(step, *(f"{t:.0f}" for t in totals), f"{worst / totals[0]:.2f}×", target)
    for label, refused in figures["refused"].items():
        extra = refused["peak_mb"] - refused["imports_mb"]
        ok = refused["outcome"].startswith("InvalidVideo") and extra <= REFUSED_TARGET_MB
        table.add_row(
            f"probe {HUGE}x{HUGE}, {label}: refused", f"{refused['peak_mb']:.0f}", "", "",
            f"{refused['peak_mb'] / imports:.2f}× imports", f"+{extra:.0f} ≤ {REFUSED_TARGET_MB} MB {VERDICT[ok]}",
        )  # fmt: skip
    console.print(table)
    console.print("(a row's figure adds the Python process' peak and ffmpeg's: an upper bound when not simultaneous)")
    for label, refused in figures["refused"].items():
        console.print(f"{HUGE}x{HUGE}, {label}: {refused['outcome']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=4, metavar=("STEP", "URL", "SIZE", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, url, size, workdir = args.child
        return child(step, url, int(size), workdir)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ugc-bench-memory-") as tmp:
        figures = run(Path(tmp))
    print_table(figures)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    extra = {"cpus": os.cpu_count(), "seconds": round(time.monotonic() - started), "at": time.time()}
    OUT.write_text(json.dumps(figures | extra, indent=2) + "\n")
    console.print(f"figures written to {OUT.relative_to(ROOT)} in {extra['seconds']} s")


if __name__ == "__main__":
    main()
