"""Which candidate clips to cut from a video (shot-aligned, sized to the platforms' windows); what a span inherits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pydantic import BaseModel

from domain.platforms import PLATFORM_SPECS

# shorter clips carry no message; a video that is itself shorter is offered whole
MIN_CLIP_S = 3.0
# spans whose starts and ends both lie this close are the same clip (cut detection jitters by a frame or two)
SAME_CLIP_S = 0.25
DEFAULT_MAX_CANDIDATES = 8
WHOLE = "whole video"
# cut times are rounded to the millisecond, a frame lasts 17 ms or more: 1 ms tells a frame from the next
TIME_EPS_S = 1e-3
# BS.1770 as FFmpeg's ebur128 applies it: 400 ms blocks every 100 ms, gated at -70 LUFS and 10 LU below
BLOCK_S, BLOCK_STEP_S, ABSOLUTE_GATE_LUFS, RELATIVE_GATE_LU = 0.4, 0.1, -70.0, 10.0
# a copy opening this far before its clip carries that many seconds of hidden pictures (bytes, and what a player
# ignoring the edit list would show); past it the clip is re-encoded. Phones and editors key every 1-2 s
MAX_LEAD_IN_S = 4.0


@dataclass(frozen=True)
class ClipPlan:
    """One candidate clip: a span of the source, optionally centre-cropped to 9:16."""

    start_s: float
    end_s: float
    # centre-crop a horizontal source to 9:16 for the vertical placements
    vertical_crop: bool
    reason: str

    @property
    def duration_s(self) -> float:
        """Planned length in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Window:
    """A suggested duration window, labelled with the platforms that share it."""

    label: str
    min_s: float
    max_s: float


def plan_clips(
    cut_times_s: Sequence[float],
    duration_s: float,
    width: int,
    height: int,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
) -> list[ClipPlan]:
    """Shot-aligned candidates per platform window plus the whole video, capped; 9:16 twins for horizontal sources.

    The opening-first plan of PrepareClipsWorkflow runs started before domain.clip_spread (they replay with it).
    """
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ValueError("duration_s must be a positive finite number")
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    if max_candidates < 1:
        raise ValueError("max_candidates must be at least 1")
    boundaries = shot_boundaries(cut_times_s, duration_s)
    groups = _candidate_groups(boundaries, duration_s)
    horizontal = width > height
    # a horizontal source spends half the budget on its 9:16 twins; with a budget of one only the twin is kept
    originals = _select(groups, max(1, max_candidates // 2) if horizontal else max_candidates)
    if not horizontal:
        return originals
    twins = [ClipPlan(p.start_s, p.end_s, True, f"{p.reason}, 9:16 centre crop") for p in originals]
    plans = twins if max_candidates == 1 else originals + twins
    return sorted(plans, key=plan_order)


def shot_boundaries(cut_times_s: Sequence[float], duration_s: float) -> list[float]:
    """0.0 plus every finite cut strictly inside the video, sorted and without repeats."""
    inside = {round(float(t), 3) for t in cut_times_s if math.isfinite(t) and 0.0 < t < duration_s}
    return [0.0, *sorted(inside)]


def platform_windows() -> list[Window]:
    """Each distinct suggested duration window, labelled with the platforms that share it."""
    windows: dict[tuple[float, float], list[str]] = {}
    for spec in PLATFORM_SPECS.values():
        windows.setdefault((spec.suggested_min_s, spec.suggested_max_s), []).append(spec.platform)
    return [Window("/".join(names), lo, hi) for (lo, hi), names in sorted(windows.items())]


def longest_hard_max() -> float:
    """The longest video any platform accepts (inf when one has no limit)."""
    limits = [spec.max_s for spec in PLATFORM_SPECS.values()]
    return math.inf if any(m is None for m in limits) else max(m for m in limits if m is not None)


def _candidate_groups(boundaries: list[float], duration_s: float) -> list[list[ClipPlan]]:
    """One list per length class (the whole video, then each window), each ordered by start."""
    groups: list[list[ClipPlan]] = []
    if duration_s <= longest_hard_max():
        groups.append([ClipPlan(0.0, round(duration_s, 3), False, WHOLE)])
    # the video's end closes its last shot, so it is an end boundary too
    ends = [*boundaries[1:], duration_s]
    for window in platform_windows():
        group = []
        for start in boundaries:
            end = end_for(start, ends, window, duration_s)
            # a tail the video's end cuts short of the window is no fit for it (a short video is offered whole)
            if end - start < max(MIN_CLIP_S, window.min_s):
                continue
            group.append(ClipPlan(start, round(end, 3), False, span_reason(window, start, end, end in ends)))
        groups.append(group)
    return groups


def end_for(start: float, ends: list[float], window: Window, duration_s: float) -> float:
    """The boundary inside the window nearest its middle, else start + window max capped at the video end."""
    inside = [e for e in ends if window.min_s <= e - start <= window.max_s]
    if inside:
        # the middle, not the edge: a boundary at the edge drifts out of the window with a frame of jitter
        middle = start + (window.min_s + window.max_s) / 2
        return min(inside, key=lambda e: (abs(e - middle), e))
    return min(start + window.max_s, duration_s)


def span_reason(window: Window, start: float, end: float, on_boundary: bool) -> str:
    """'tiktok 9-15 s window: shot at 4.0 s to shot at 16.0 s' (or 'to 19.0 s, mid-shot')."""
    tail = f"shot at {end:.1f} s" if on_boundary else f"{end:.1f} s, mid-shot"
    return f"{window.label} {window.min_s:g}-{window.max_s:g} s window: shot at {start:.1f} s to {tail}"


def _select(groups: list[list[ClipPlan]], limit: int) -> list[ClipPlan]:
    """Round-robin over the length classes, earliest start first, skipping near-duplicates, up to limit."""
    chosen: list[ClipPlan] = []
    depth = max((len(g) for g in groups), default=0)
    # round k takes each class's k-th earliest start: every length is tried at the hook before any later start
    for k in range(depth):
        for group in groups:
            if len(chosen) == limit:
                return sorted(chosen, key=plan_order)
            if k < len(group) and not any(same_clip(group[k], c) for c in chosen):
                chosen.append(group[k])
    return sorted(chosen, key=plan_order)


def same_clip(a: ClipPlan, b: ClipPlan) -> bool:
    """Whether two spans are the same clip within the detection jitter."""
    return abs(a.start_s - b.start_s) <= SAME_CLIP_S and abs(a.end_s - b.end_s) <= SAME_CLIP_S


def plan_order(plan: ClipPlan) -> tuple[float, float, bool]:
    """By start, then length, the original before its crop."""
    return (plan.start_s, plan.duration_s, plan.vertical_crop)


def span_pairs(sample_times: Sequence[float], start_s: float, end_s: float) -> list[int]:
    """Indices i of the sample pairs (i, i+1) wholly inside [start_s, end_s): the pairs a clip of that span has."""
    # a pair straddling the start is the cut the clip opens on, which the clip itself never shows
    return [
        i
        for i in range(len(sample_times) - 1)
        if sample_times[i] >= start_s - TIME_EPS_S and sample_times[i + 1] < end_s - TIME_EPS_S
    ]


def span_loudness(blocks: Sequence[tuple[float, float]], start_s: float, end_s: float) -> float | None:
    """BS.1770 integrated loudness (LUFS) of a span from the source's momentary blocks (block end s, LUFS)."""
    # a block lies in the span when its 400 ms do, give or take half the 100 ms step between blocks
    inside = [m for t, m in blocks if t - BLOCK_S >= start_s - BLOCK_STEP_S / 2 and t <= end_s + BLOCK_STEP_S / 2]
    if not inside:
        return None
    loud = [m for m in inside if m > ABSOLUTE_GATE_LUFS]
    if not loud:
        return ABSOLUTE_GATE_LUFS  # silence reads as the absolute gate, as ebur128 itself prints it
    relative_gate = _mean_lufs(loud) - RELATIVE_GATE_LU
    return round(_mean_lufs([m for m in loud if m > relative_gate]), 1)


def _mean_lufs(values: Sequence[float]) -> float:
    """The loudness of the mean energy of blocks given in LUFS (the -0.691 offset cancels out)."""
    return 10 * math.log10(sum(10 ** (m / 10) for m in values) / len(values))


class Samples(BaseModel):
    """One framing's sampled thumbnails, as measure_video compares them: pair i joins samples i and i+1."""

    times: list[float] = []
    scores: list[float] = []  # luma-histogram jump 0..1
    diffs: list[float] = []  # mean |Δluma| / 255


class OpeningFace(BaseModel):
    """Whether a clip opening at start_s in that framing shows a frontal face at the face instants (None: no face
    detector): checked by the shot pass on its own frames, so neither the plan nor the clip decodes them again."""

    start_s: float
    vertical: bool
    face: bool | None


class ShotPass(BaseModel):
    """What one decode of a source leaves for cutting and measuring its clips (JSON next to the source)."""

    duration_s: float
    width: int  # displayed (rotation-aware)
    height: int
    cut_times_s: list[float]  # the first frame of each shot after the first
    original: Samples
    vertical: Samples | None = None  # the 9:16 crop's, when the pass encoded it
    # (dts, pts) in decode order of what clips may be copied from: the source itself when it is already a
    # fit deliverable, and the crop, whose keyframes sit on every shot's first frame
    source_packets: list[tuple[float, float]] = []
    vertical_packets: list[tuple[float, float]] = []
    vertical_keyframes_s: list[float] = []
    source_keyframes_s: list[float] = []  # the source's IDR pictures, when its packets are listed
    has_audio: bool = False
    audio_is_aac: bool = False  # copied, not re-encoded, into the clips
    loudness_blocks: list[tuple[float, float]] | None = None  # (block end s, momentary LUFS); None: no audio
    opening_faces: list[OpeningFace] = []  # per opening and framing the pass looked at
    crop_id: str | None = None  # names the stored crop's copy a media worker may keep (media.crop_cache)

    def face_at(self, start_s: float, vertical: bool) -> OpeningFace | None:
        """The pass's face check for a clip opening at start_s in that framing; None if it has none."""
        found = (f for f in self.opening_faces if f.vertical == vertical and abs(f.start_s - start_s) <= TIME_EPS_S)
        return next(found, None)


class CopyPlan(NamedTuple):
    """How a clip is copied: from which file, where to stop, the lead-in its edit list hides, where playback starts."""

    source: str  # 'vertical' (the crop) or 'source'
    stop_dts: float | None  # keep the packets decoded before this (None: to the end)
    lead_in_s: float = 0.0  # from the keyframe the copy opens on to the clip's first frame
    seek_s: float = 0.0  # the copy's playback starts here in the file (0: at its beginning)


def copy_plan(shots: ShotPass, start_s: float, end_s: float, vertical: bool) -> CopyPlan | None:
    """How the clip can be copied, else None (re-encode)."""
    if vertical:
        if not any(abs(k - start_s) <= TIME_EPS_S for k in shots.vertical_keyframes_s):
            return None
        return CopyPlan(
            "vertical", _keep_before(shots.vertical_packets, end_s), 0.0, _seek(shots.vertical_packets, start_s)
        )
    if not shots.source_packets:
        return None
    if start_s <= TIME_EPS_S:
        return CopyPlan("source", _keep_before(shots.source_packets, end_s))
    # a later start opens on the source's IDR at or before it (any later picture decodes from an IDR on) and an
    # MP4 edit list starts playback on the clip's first frame; the lead-in between is decoded, never shown
    key = max((k for k in shots.source_keyframes_s if k <= start_s + TIME_EPS_S), default=None)
    if key is None or start_s - key > MAX_LEAD_IN_S:
        return None
    lead_in = round(start_s - key, 3) if start_s - key > TIME_EPS_S else 0.0
    return CopyPlan("source", _keep_before(shots.source_packets, end_s), lead_in, _seek(shots.source_packets, start_s))


def _seek(packets: Sequence[tuple[float, float]], start_s: float) -> float:
    """Where playback must start for the picture at start_s to be the first shown: its exact time, floored to the
    microsecond FFmpeg seeks by (so the seek lands on it when it is a keyframe, else on the keyframe before)."""
    # a cut time is its picture's time rounded to the millisecond: 1 ms early is after the picture before it
    exact = next((pts for _, pts in packets if abs(pts - start_s) <= TIME_EPS_S / 2), start_s - TIME_EPS_S)
    return max(0.0, math.floor(exact * 1e6 + 1e-6) / 1e6)


def _keep_before(packets: Sequence[tuple[float, float]], end_s: float) -> float | None:
    """Decode time of the first packet showing a frame at or past end_s (None: to the end): stop there."""
    return next((dts for dts, pts in packets if pts >= end_s - TIME_EPS_S), None)
