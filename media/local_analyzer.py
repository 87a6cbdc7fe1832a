"""Offline creative analysis (no ANTHROPIC_API_KEY): real measurements of the video and frames, no guesses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from time import monotonic
from typing import Literal

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from media.faces import FaceDetectorUnavailable as FaceDetectorUnavailable  # its home was here
from media.faces import detect_faces, face_detector_available
from media.limits import FrameCounter, check_frame
from media.source import DECODER_THREAD_TYPE, ShouldStop, check_stop, displayed_size, open_video, video_duration
from models.schemas.analysis import CreativeInsights, Frame
from models.schemas.media import MediaLimits

LOCAL_MODEL = "local-v1"
Pacing = Literal["fast", "medium", "slow", "unknown"]

SMALL_WIDTH = 64  # a 64-px-wide luma thumbnail keeps cuts and motion visible at ~1 % of the pixels
HIST_BINS = 64
# A cut is a luma-histogram jump (total variation 0..1) above both a fixed floor and the video's
# own baseline; on the sample ads hard cuts score ≥ 0.51, keyframe pulses and motion ≤ 0.32.
CUT_MIN_SCORE = 0.4
CUT_MAD_K = 8.0  # noisy, high-motion footage raises its baseline, so its threshold rises with it
MIN_SHOT_S = 0.4  # closer jumps are one transition (flash, dissolve); the first 0.4 s is an intro
DYNAMIC_START_S = 3.0
# Cuts per 5 s: the sample ads' 0.7 / 2 / 5 s cut intervals give ~7 / 2.5 / 1, so boundaries at
# 4 (interval 1.25 s) and 1.5 (3.3 s) sit near the geometric midpoints and survive a missed cut.
FAST_CUTS_PER_5S = 4.0
MEDIUM_CUTS_PER_5S = 1.5
MIN_PACING_DURATION_S = 2.0  # shorter clips have no rhythm to speak of
# Past 10 % mean luma change per 1/6 s the picture churns (noise, strobes, a starved encoder):
# histogram jumps no longer tell cuts from motion, so pacing is unknown rather than "slow".
MAX_MEASURABLE_MOTION = 0.1
LOCAL_CONFIDENCE = 0.4


@dataclass
class VideoMeasurements:
    """What the local analyzer measured in one pass over the video."""

    duration_s: float
    cut_times_s: list[float] = field(default_factory=list)
    cuts_per_5s: float = 0.0
    first_cut_s: float | None = None
    dynamic_start: bool = False
    mean_brightness: float = 0.0  # 0 black .. 1 white
    mean_motion: float = 0.0  # mean |Δluma| / 255 between samples, cuts left out
    has_audio: bool = False
    audio_rms_dbfs: float | None = None  # a full-scale sine is -3 dBFS
    width: int = 0
    height: int = 0


class _VideoStats:
    """Running per-sample statistics: only the previous thumbnail is kept, never the frames."""

    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)
        # one scaler for every sample: frame.reformat sets a new one up per call, 3x the cost of the scaling
        self.scaler = VideoReformatter()
        self.prev: tuple[np.ndarray, np.ndarray] | None = None  # luma and its histogram
        self.pair_times: list[float] = []  # midpoint of each consecutive pair: where a cut would be
        self.scores: list[float] = []
        self.diffs: list[float] = []
        self.brightness_sum, self.samples, self.last_time = 0.0, 0, 0.0

    def add(self, frame: av.VideoFrame, t: float) -> None:
        """Fold one sampled frame in."""
        # the coded luma plane, not format="gray": gray expands to full range and clips the
        # below-black detail of dark footage, where cuts then vanish into one histogram bin
        small: np.ndarray = self.scaler.reformat(frame, self.size[0], self.size[1], "yuv420p").to_ndarray()
        luma = small[: self.size[1]].astype(np.int16)
        hist = np.bincount((luma >> 2).ravel(), minlength=HIST_BINS) / luma.size
        if self.prev is not None:
            self.pair_times.append((self.last_time + t) / 2)
            self.scores.append(0.5 * float(np.abs(hist - self.prev[1]).sum()))
            self.diffs.append(float(np.abs(luma - self.prev[0]).mean()) / 255)
        self.prev, self.last_time = (luma, hist), t
        self.brightness_sum += min(max((float(luma.mean()) - 16) / 219, 0.0), 1.0)  # 16 black, 235 white
        self.samples += 1


def detect_cuts(pair_times: list[float], scores: list[float]) -> tuple[list[float], float]:
    """Hard-cut times from histogram jumps, and the threshold used (floor or median + K·MAD)."""
    if not scores:
        return [], CUT_MIN_SCORE
    s = np.asarray(scores)
    median = float(np.median(s))
    threshold = max(CUT_MIN_SCORE, median + CUT_MAD_K * float(np.median(np.abs(s - median))))
    cuts: list[tuple[float, float]] = []
    for i in np.flatnonzero(s > threshold):
        t, score = pair_times[i], float(s[i])
        if t < MIN_SHOT_S:
            continue
        if cuts and t - cuts[-1][0] < MIN_SHOT_S:
            if score > cuts[-1][1]:  # one transition spread over samples: keep its strongest jump
                cuts[-1] = (t, score)
            continue
        cuts.append((t, score))
    return [round(t, 3) for t, _ in cuts], threshold


def _audio_power(frame: av.AudioFrame) -> tuple[float, int]:
    """Sum of squared samples (full scale ±1) and how many there were."""
    samples: np.ndarray = frame.to_ndarray()
    flat = samples.astype(np.float64).ravel()
    if samples.dtype.kind in "iu":  # integer PCM: scale to ±1 (unsigned 8-bit is centred on 128)
        full = float(2 ** (8 * samples.dtype.itemsize - 1))
        flat = (flat - full) / full if samples.dtype.kind == "u" else flat / full
    return float(np.dot(flat, flat)), flat.size


def measure_video(
    url_or_path: str,
    *,
    sample_fps: float = 6.0,
    heartbeat: Callable[[str], None] | None = None,
    limits: MediaLimits | None = None,
    should_stop: ShouldStop = None,
) -> VideoMeasurements:
    """One demux pass: cuts, brightness and motion from ~sample_fps thumbnails, audio RMS from all samples."""
    limits = limits or MediaLimits()
    frames = FrameCounter(limits)
    with open_video(url_or_path, limits=limits) as (container, video):
        video.thread_type = DECODER_THREAD_TYPE
        audio = container.streams.audio[0] if container.streams.audio else None
        width, height = video.codec_context.width, video.codec_context.height
        stats = _VideoStats(SMALL_WIDTH, max(8, round(SMALL_WIDTH * height / max(width, 1) / 2) * 2))
        duration = video_duration(container, video)
        step, next_t, rotation = 1.0 / max(sample_fps, 0.1), 0.0, 0
        sum_sq, audio_samples, last_beat = 0.0, 0, monotonic()
        for packet in container.demux(*([video] if audio is None else [video, audio])):
            check_stop(should_stop)
            for frame in packet.decode():
                if isinstance(frame, av.AudioFrame):
                    power, count = _audio_power(frame)
                    sum_sq, audio_samples = sum_sq + power, audio_samples + count
                elif isinstance(frame, av.VideoFrame) and frame.time is not None:
                    check_frame(frame, limits)
                    frames.add()
                    t = float(frame.time)
                    if t + 1e-3 < next_t:
                        continue  # decoded (inter frames need it) but never scaled or kept
                    if stats.samples == 0:
                        rotation = int(frame.rotation or 0)
                    next_t = max(next_t + step, t + step / 2)
                    stats.add(frame, t)
            if heartbeat is not None and monotonic() - last_beat >= 1.0:
                last_beat = monotonic()
                heartbeat(f"measuring video: {stats.last_time:.0f}s of {duration:.0f}s")
    duration = duration if duration > 0 else stats.last_time + step
    cuts, threshold = detect_cuts(stats.pair_times, stats.scores)
    # a cut is not motion: pairs that straddle one stay out of the motion average
    still = [d for d, s in zip(stats.diffs, stats.scores, strict=True) if s <= threshold]
    rms = (sum_sq / audio_samples) ** 0.5 if audio_samples else None
    width, height = displayed_size(width, height, rotation)
    return VideoMeasurements(
        duration_s=round(duration, 3),
        cut_times_s=cuts,
        cuts_per_5s=round(len(cuts) * 5.0 / duration, 3),
        first_cut_s=cuts[0] if cuts else None,
        dynamic_start=bool(cuts) and cuts[0] < DYNAMIC_START_S,
        mean_brightness=round(stats.brightness_sum / max(stats.samples, 1), 4),
        mean_motion=round(float(np.mean(still)) if still else 0.0, 4),
        has_audio=audio_samples > 0,
        audio_rms_dbfs=None if rms is None else round(20 * float(np.log10(max(rms, 1e-6))), 1),
        width=width,
        height=height,
    )


def pacing_label(m: VideoMeasurements) -> Pacing:
    """fast ≥ 4 cuts / 5 s, medium ≥ 1.5, slow below; unknown for clips under 2 s or churning pictures."""
    if m.duration_s < MIN_PACING_DURATION_S or m.mean_motion > MAX_MEASURABLE_MOTION:
        return "unknown"
    if m.cuts_per_5s >= FAST_CUTS_PER_5S:
        return "fast"
    return "medium" if m.cuts_per_5s >= MEDIUM_CUTS_PER_5S else "slow"


def insights_from_measurements(m: VideoMeasurements, frames: list[tuple[Frame, bytes]]) -> CreativeInsights:
    """CreativeInsights from measurements; what pixels and numbers cannot tell stays unknown."""
    faces: dict[str, int] | None = None
    if face_detector_available():
        faces = {frame.label: detect_faces(jpeg) for frame, jpeg in frames}
    face_present = any(faces.values()) if faces else None
    measurements: dict[str, float | int | bool | None] = {k: v for k, v in asdict(m).items() if not isinstance(v, list)}
    measurements |= {"cut_count": len(m.cut_times_s), "faces_checked": faces is not None}
    measurements |= {f"faces_{label}": count for label, count in (faces or {}).items()}
    pacing = pacing_label(m)
    return CreativeInsights(
        hook_type="unknown",  # a hook is rhetoric (question, testimonial ...): a cut does not say which
        emotion="unknown",
        pacing=pacing,
        target_audience_pain="unknown",
        on_screen_text=[],  # no OCR here
        people_present=True if face_present else None,  # no face found does not mean nobody is there
        face_present=face_present,
        cta_present=None,
        cta_kind="unknown",
        summary=_summary(m, pacing, faces),
        confidence=LOCAL_CONFIDENCE,
        measurements=measurements,
    )


def _summary(m: VideoMeasurements, pacing: Pacing, faces: dict[str, int] | None) -> str:
    """E.g. '18 s vertical video, fast pacing (11 cuts, first at 0.7 s), faces in hook frame, audio present'."""
    shape = "vertical" if m.height > m.width * 1.1 else "horizontal" if m.width > m.height * 1.1 else "square"
    n = len(m.cut_times_s)
    cuts = f"{n} cut{'s' * (n != 1)}, first at {m.first_cut_s:.1f} s" if n else "no cuts"
    parts = [f"{m.duration_s:.0f} s {shape} video", f"{pacing} pacing ({cuts})"]
    if pacing == "unknown" and m.mean_motion > MAX_MEASURABLE_MOTION:
        parts[1] = "pacing unknown (the picture changes too much to tell cuts from motion)"
    seen = [label for label, count in (faces or {}).items() if count]
    found = f"faces in {' and '.join(seen)} frame{'s' * (len(seen) > 1)}" if seen else "no faces detected"
    parts.append("faces not checked" if faces is None else found)
    silent = m.audio_rms_dbfs is not None and m.audio_rms_dbfs < -60
    parts.append("no audio" if not m.has_audio else "silent audio track" if silent else "audio present")
    parts.append("dark" if m.mean_brightness < 0.25 else "bright" if m.mean_brightness > 0.6 else "mid-bright")
    if m.mean_motion < 0.01 or m.mean_motion > 0.06:
        parts.append("static shots" if m.mean_motion < 0.01 else "high motion")
    return ", ".join(parts)


def analyze_locally(
    url_or_path: str,
    frames: list[tuple[Frame, bytes]],
    heartbeat: Callable[[str], None] | None = None,
    *,
    limits: MediaLimits | None = None,
    should_stop: ShouldStop = None,
) -> CreativeInsights:
    """Measure the video, then look for faces in the frames: the local analyzer's whole answer."""
    measurements = measure_video(url_or_path, heartbeat=heartbeat, limits=limits, should_stop=should_stop)
    if heartbeat is not None:
        heartbeat("detecting faces")
    return insights_from_measurements(measurements, frames)
