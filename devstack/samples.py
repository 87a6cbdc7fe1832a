"""Small synthetic UGC-ad videos and broken-input fixtures, rendered locally with the bundled FFmpeg."""

from __future__ import annotations

import functools
import random
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import imageio_ffmpeg

from domain.platforms import Platform

Pacing = Literal["fast", "medium", "slow"]

# Seconds between hard cuts for each pacing, matching typical UGC edit rhythms.
CUT_SECONDS: dict[str, float] = {"fast": 0.7, "medium": 2.0, "slow": 5.0}
FPS = 30
_AAC = ["-c:a", "aac", "-b:a", "64k"]

# Fonts tried for drawtext; the first that exists wins, none means no text overlay.
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)

# Background sources with the factor each is rendered below output size before upscaling;
# noise-like ones go coarse so they stay cheap to encode; mandelbrot is left out (>10 s for 30 s).
_SOURCES: tuple[tuple[str, int], ...] = (
    ("testsrc2=s={w}x{h}:r={fps}:d={d}", 2),
    # not `gradients`: its frames differ run to run even with a seed, and tests need repeatable renders
    ("testsrc=s={w}x{h}:r={fps}:d={d}", 2),
    ("smptehdbars=s={w}x{h}:r={fps}:d={d}", 2),
    ("cellauto=s={w}x{h}:r={fps}:rule={rule}:random_seed={seed}", 8),
    ("sierpinski=s={w}x{h}:r={fps}:seed={seed}:type={sier}", 4),
    ("life=s={w}x{h}:r={fps}:mold=10:random_seed={seed}:life_color=#{col}", 8),
)


@dataclass(frozen=True)
class SampleAd:
    """A synthetic ad's look plus the market figures a real ad would come with."""

    name: str
    product_category: str
    source_platform: Platform
    duration_s: float
    width: int
    height: int
    pacing: Pacing
    hook_type: str
    emotion: str
    market_cvr: float
    market_longevity_days: int
    avg_daily_clicks: int
    target_audience_pain: str
    seed: int


# seed % len(_SOURCES) picks the background; the 30 s ad gets the cheapest-to-encode one (bars).
# fmt: off
SAMPLE_ADS: list[SampleAd] = [
    SampleAd("glow-serum-hook", "skincare", "tiktok", 8.0, 720, 1280, "fast", "question",
             "curiosity", 0.062, 14, 2400, "dull, tired-looking skin", 1),
    SampleAd("spf-routine-demo", "skincare", "instagram", 15.0, 720, 720, "medium", "demonstration",
             "trust", 0.034, 38, 900, "fear of sun damage", 6),
    SampleAd("acne-before-after", "skincare", "tiktok", 12.0, 720, 1280, "fast", "before_after",
             "relief", 0.071, 9, 2950, "persistent breakouts", 3),
    SampleAd("home-hiit-challenge", "fitness", "tiktok", 5.0, 720, 1280, "fast", "challenge",
             "excitement", 0.045, 7, 1800, "no time for the gym", 4),
    SampleAd("band-kit-review", "fitness", "youtube", 30.0, 1280, 720, "slow", "testimonial",
             "confidence", 0.018, 60, 320, "gym memberships go unused", 2),
    SampleAd("invoice-app-pain", "saas", "instagram", 20.0, 720, 1280, "medium", "problem_agitation",
             "frustration", 0.012, 45, 210, "hours lost chasing unpaid invoices", 5),
]
# fmt: on


def ffmpeg_exe() -> str:
    """Path of the FFmpeg binary bundled with imageio-ffmpeg."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _listing(flag: str) -> str:
    """Output of `ffmpeg -hide_banner <flag>` (e.g. -encoders, -filters)."""
    return subprocess.run([ffmpeg_exe(), "-hide_banner", flag], capture_output=True, text=True, check=True).stdout


@functools.lru_cache(maxsize=1)
def video_encoder() -> str:
    """libx264 when the binary has it, else mpeg4; probed once because spawning ffmpeg costs ~50 ms."""
    return "libx264" if re.search(r"^\s*V\S*\s+libx264\s", _listing("-encoders"), re.M) else "mpeg4"


@functools.lru_cache(maxsize=1)
def drawtext_font() -> str | None:
    """A font file for drawtext, or None when the build lacks drawtext or no font is installed."""
    if not re.search(r"^\s*\S+\s+drawtext\s", _listing("-filters"), re.M):
        return None
    return next((f for f in _FONT_CANDIDATES if Path(f).is_file()), None)


def _video_codec_args() -> list[str]:
    """Encoder flags tuned for speed and small files, not quality."""
    if video_encoder() == "libx264":
        # The rate cap keeps noise-like patterns from ballooning to several MB per ad. One thread: x264's
        # rate control under frame threads depends on timing, so renders differed run to run and a test on
        # their cuts failed now and then; on one thread this costs no time at these sizes.
        return f"-c:v libx264 -preset ultrafast -crf 32 -g {FPS} -maxrate 1M -bufsize 2M -threads 1".split()
    return f"-c:v mpeg4 -q:v 12 -g {FPS} -threads 1".split()


def _run(args: list[str]) -> None:
    """Run ffmpeg quietly, raising with its stderr tail on failure."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _text(s: str) -> str:
    """Text safe inside a drawtext option without escaping rules (they differ across versions)."""
    return re.sub(r"[^A-Za-z0-9 .!?-]", " ", s).strip()


def _video_filter(ad: SampleAd, rng: random.Random) -> str:
    """Source → per-scene hue jump (the hard cut) → box → captions, composited at half size, then upscaled."""
    cut = CUT_SECONDS[ad.pacing]
    scene = f"floor(t/{cut})"
    # Compositing at half size quarters the per-pixel filter cost; one final upscale restores the frame.
    w, h = ad.width // 4 * 2, ad.height // 4 * 2
    pattern, div = _SOURCES[ad.seed % len(_SOURCES)]
    src = pattern.format(
        w=ad.width // div // 2 * 2,
        h=ad.height // div // 2 * 2,
        fps=FPS,
        d=ad.duration_s,
        seed=ad.seed,
        rule=rng.choice((18, 30, 90, 110)),
        sier=rng.choice(("carpet", "triangle")),
        col=f"{rng.randrange(0x1000000):06x}",
    )
    # Big seeded hue/brightness steps per scene so every cut is an obvious frame-to-frame change.
    step, base = rng.randrange(70, 150), rng.randrange(360)
    chain = [src, f"hue=h='mod({base}+{scene}*{step},360)':b='mod({scene},3)-1'"]
    if div > 2:  # coarse sources stay blocky (cheap to encode) rather than blurred
        chain.append(f"scale={w}:{h}:flags=neighbor")
    # A box that jumps to a new seeded spot every scene, like a product close-up or sticker.
    bw, bh = w // 3, h // 5
    chain.append(
        f"drawbox=x='mod({scene}*{rng.randrange(53, 157)},{w - bw})'"
        f":y='mod({scene}*{rng.randrange(67, 201)},{h - bh})'"
        f":w={bw}:h={bh}:color=0x{rng.randrange(0x1000000):06x}@0.8:t=fill"
    )
    font = drawtext_font()
    if font:
        size = max(12, w // 18)
        # Shadow only on the big hook line: drawtext shadows/borders are the costliest part of the graph.
        common = f"fontfile={font}:fontcolor=white:x=(w-text_w)/2"
        chain.append(
            f"drawtext={common}:shadowcolor=black:shadowx=2:shadowy=2:fontsize={size * 3 // 2}"
            f":y=h*0.12:text='{_text(ad.hook_type.replace('_', ' ').upper())}'"
        )
        chain.append(
            f"drawtext={common}:fontsize={size}:y=h*0.85:text='{_text(ad.name)}  scene %{{eif\\:{scene}+1\\:d}}'"
        )
    chain += [f"scale={ad.width}:{ad.height}:flags=fast_bilinear", f"fps={FPS}", "format=yuv420p"]
    return ",".join(chain)


def make_sample_video(ad: SampleAd, path: Path) -> Path:
    """Render one SampleAd as an H.264/AAC (or MPEG-4/AAC) faststart MP4 at 30 fps."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(ad.seed)
    tone = rng.choice((220, 330, 440, 550, 660))
    # beep_factor adds a per-second blip so the audio track is not a flat tone.
    sine = f"sine=frequency={tone}:beep_factor=4:sample_rate=44100:duration={ad.duration_s}"
    meta = ["-metadata", f"title={ad.name}", "-metadata", f"comment={ad.product_category}"]
    inputs = ["-f", "lavfi", "-i", _video_filter(ad, rng), "-f", "lavfi", "-i", sine]
    out = ["-t", str(ad.duration_s), *_video_codec_args(), *_AAC, "-ac", "1", *meta]
    _run([*inputs, *out, "-movflags", "+faststart", "-shortest", str(path)])
    return path


def make_test_video(
    path: Path,
    duration_s: float = 4.0,
    width: int = 320,
    height: int = 568,
    audio: bool = True,
    faststart: bool = True,
    rotation: int = 0,
) -> Path:
    """A small valid MP4; faststart=False leaves the moov atom at the end (truncation then breaks it).

    rotation (counter-clockwise degrees) stores width x height pixels plus a display rotation, as phones do.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    args = ["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={FPS}:d={duration_s}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={duration_s}", *_AAC]
    mux = ["-movflags", "+faststart"] if faststart else []
    args += ["-t", str(duration_s), *_video_codec_args(), "-pix_fmt", "yuv420p", *mux]
    if not rotation:
        _run([*args, str(path)])
        return path
    # encoding would turn the pixels instead: the matrix is set on a stream copy
    plain = path.with_name(f".{path.stem}-unrotated{path.suffix}")
    _run([*args, str(plain)])
    _run(["-display_rotation", str(rotation), "-i", str(plain), "-c", "copy", *mux, str(path)])
    plain.unlink()
    return path


def make_audio_only(path: Path, duration_s: float = 3.0) -> Path:
    """An MP4/M4A container holding only an AAC track, to exercise the 'no video stream' path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sine = f"sine=frequency=523:sample_rate=44100:duration={duration_s}"
    # -f mp4 so the container is MP4/M4A whatever the suffix; -vn guarantees zero video streams.
    _run(["-f", "lavfi", "-i", sine, "-vn", *_AAC, "-f", "mp4", "-movflags", "+faststart", str(path)])
    return path


def make_truncated_copy(src: Path, dst: Path, keep_fraction: float = 0.5) -> Path:
    """The first keep_fraction of src's bytes, like an upload cut off mid-transfer."""
    data = Path(src).read_bytes()
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data[: int(len(data) * keep_fraction)])
    return dst


def make_text_file(path: Path) -> Path:
    """Plain text under whatever name (e.g. fake.mp4), to test rejection of non-media uploads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("this is not a video, just text pretending to be one\n" * 20)
    return path
