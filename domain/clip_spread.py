"""Candidate clips from the whole video: every shot start in every platform window, ranked by the rule engine on
what the shot pass measured, then chosen for each platform in turn with a penalty for overlapping earlier picks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.clip_plan import (
    MIN_CLIP_S,
    SAME_CLIP_S,
    WHOLE,
    ClipPlan,
    end_for,
    longest_hard_max,
    plan_order,
    platform_windows,
    same_clip,
    shot_boundaries,
    span_reason,
)
from domain.platforms import PLATFORMS, Platform
from domain.rules import ClipFeatures, default_weights, evaluate_clip

# enough for each platform to get four distinct openings of a minute's video; each costs a copy and an upload
DEFAULT_CANDIDATES = 12
# a pick that covers the same seconds as an earlier one loses this much of its score per unit of overlap (IoU):
# far more than the few hundredths that tell similar openings apart, so the cap buys different openings; the first
# pick pays nothing, so a clearly better hook is cut first (and, scored later, wins on every platform it fits)
OVERLAP_PENALTY = 0.5
# two spans from one start share their hook, the part that decides a swipe: as redundant as this much overlap
SAME_START_OVERLAP = 0.8
# the other framing of a span already picked is a different deliverable (another placement), half as redundant
OTHER_FRAMING_OVERLAP = 0.7

Estimate = Callable[[ClipPlan], ClipFeatures]


@dataclass(frozen=True)
class Prospect:
    """A possible clip and its predicted rule-engine total per platform (default weights, no pattern evidence)."""

    plan: ClipPlan
    scores: dict[Platform, float]


def possible_spans(cut_times_s: Sequence[float], duration_s: float) -> list[ClipPlan]:
    """From every shot start, the span each platform window suggests; the whole video when a platform takes it."""
    boundaries = shot_boundaries(cut_times_s, duration_s)
    ends = [*boundaries[1:], duration_s]
    spans: list[ClipPlan] = []
    if duration_s <= longest_hard_max():
        spans.append(ClipPlan(0.0, round(duration_s, 3), False, WHOLE))
    for start in boundaries:
        for window in platform_windows():
            end = end_for(start, ends, window, duration_s)
            # a tail the video's end cuts short of the window is no fit for it (a short video is offered whole)
            if end - start < max(MIN_CLIP_S, window.min_s):
                continue
            plan = ClipPlan(start, round(end, 3), False, span_reason(window, start, end, end in ends))
            if not any(same_clip(plan, s) for s in spans):
                spans.append(plan)
    return spans


def prospects(
    spans: Sequence[ClipPlan], horizontal: bool, estimate: Estimate, allowed: Callable[[ClipPlan], bool]
) -> list[Prospect]:
    """Each span in each framing it may be cut in (a horizontal source's 9:16 twin too), scored for every platform."""
    framed = [*spans, *(_twin(s) for s in spans if horizontal)]
    weights = {p: default_weights(p) for p in PLATFORMS}
    found = []
    for plan in framed:
        if not allowed(plan):
            continue
        features = estimate(plan)
        found.append(Prospect(plan, {p: evaluate_clip(features, p, weights[p]).total for p in PLATFORMS}))
    return found


def spread_plans(candidates: Sequence[Prospect], limit: int) -> list[ClipPlan]:
    """Up to limit plans: platforms take turns picking their best, less OVERLAP_PENALTY x overlap with the picks."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    chosen: list[Prospect] = []
    left = list(candidates)
    while left and len(chosen) < limit:
        for platform in sorted(PLATFORMS):
            if not left or len(chosen) == limit:
                break
            # ties: the earlier start, then the shorter span, the original before its crop (a stable order)
            best = max(left, key=lambda c: (_value(c, platform, chosen), [-x for x in plan_order(c.plan)]))
            chosen.append(best)
            left.remove(best)
    return sorted((c.plan for c in chosen), key=plan_order)


def _value(candidate: Prospect, platform: Platform, chosen: Sequence[Prospect]) -> float:
    """The platform's predicted score, less the penalty for the most overlapping pick so far."""
    overlap = max((_overlap(candidate.plan, c.plan) for c in chosen), default=0.0)
    return candidate.scores[platform] - OVERLAP_PENALTY * overlap


def _overlap(a: ClipPlan, b: ClipPlan) -> float:
    """Intersection over union of two spans' seconds (at least SAME_START_OVERLAP from one start), halved across
    framings."""
    inter = max(0.0, min(a.end_s, b.end_s) - max(a.start_s, b.start_s))
    union = max(a.end_s, b.end_s) - min(a.start_s, b.start_s)
    iou = inter / union if union > 0 else 1.0
    if abs(a.start_s - b.start_s) <= SAME_CLIP_S:
        iou = max(iou, SAME_START_OVERLAP)
    return iou if a.vertical_crop == b.vertical_crop else iou * OTHER_FRAMING_OVERLAP


def _twin(plan: ClipPlan) -> ClipPlan:
    """The span's 9:16 centre crop."""
    return ClipPlan(plan.start_s, plan.end_s, True, f"{plan.reason}, 9:16 centre crop")


def vertical_size(width: int, height: int, max_edge: int) -> tuple[int, int]:
    """The 9:16 centre crop's size as the shot pass encodes it (even sides, long edge within max_edge)."""
    cw, ch = int(min(width, height * 9 / 16) / 2) * 2, int(min(height, width * 16 / 9) / 2) * 2
    scale = min(1.0, max_edge / max(cw, ch))
    return int(cw * scale / 2) * 2, int(ch * scale / 2) * 2
