"""Choosing a platform's best clip: every READY clip scored by the rule engine, one winner."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from domain.platforms import Platform
from domain.posterior import BetaPosterior, PatternRow, pattern_posterior
from domain.rules import ClipFeatures, Score, Weights, evaluate_clip, ranked

# term differences below this are noise in the explanation; the three largest each way say enough
EVEN, MAX_TERMS = 0.005, 3


@dataclass(frozen=True)
class PatternEvidence:
    """One pattern_performance row: its pattern labels and its evidence."""

    hook_type: str | None
    emotion: str | None
    pacing: str | None
    evidence: PatternRow


def pattern_matches(row: PatternEvidence, features: ClipFeatures) -> bool:
    """True when the row carries every pattern label the clip has (a clip without labels matches none)."""
    wanted = {"hook_type": features.hook_type, "emotion": features.emotion, "pacing": features.pacing}
    known = {field: value for field, value in wanted.items() if value}
    return bool(known) and all(getattr(row, field) == value for field, value in known.items())


def clip_posterior(
    features: ClipFeatures, rows: Sequence[PatternEvidence], half_life_days: float | None = None
) -> BetaPosterior | None:
    """The posterior of the clip's pattern, or None when the clip has no known pattern or no evidence."""
    matching = [row.evidence for row in rows if pattern_matches(row, features)]
    return pattern_posterior(matching, half_life_days) if matching else None


def category_baseline(rows: Sequence[PatternEvidence], half_life_days: float | None = None) -> float | None:
    """The category's pooled conversion rate, what a pattern's rate is compared with."""
    return pattern_posterior([row.evidence for row in rows], half_life_days).mean if rows else None


def score_clips(
    clips: Sequence[tuple[str, ClipFeatures]],
    platform: Platform,
    weights: Weights,
    rows: Sequence[PatternEvidence],
    half_life_days: float | None = None,
) -> list[tuple[str, Score]]:
    baseline = category_baseline(rows, half_life_days)
    return [
        (clip_id, evaluate_clip(features, platform, weights, clip_posterior(features, rows, half_life_days), baseline))
        for clip_id, features in clips
    ]


class Selection(NamedTuple):
    """A platform's winner among its candidates, and the clip ranked next (None when it was alone)."""

    winner: str
    score: Score
    candidates: int
    runner_up: tuple[str, Score] | None


def select_best(
    clips: Sequence[tuple[str, ClipFeatures]],
    platform: Platform,
    weights: Weights,
    rows: Sequence[PatternEvidence],
    half_life_days: float | None = None,
) -> Selection:
    """The winning clip id, its score, the number of candidates and the runner-up; ties broken as `ranked` does."""
    if not clips:
        raise ValueError("no READY clip to choose from")
    order = ranked(score_clips(clips, platform, weights, rows, half_life_days))
    return Selection(order[0][0], order[0][1], len(order), order[1] if len(order) > 1 else None)


def why_chosen(
    breakdown: Mapping[str, float], candidates: int, runner_up: tuple[float, Mapping[str, float]] | None
) -> str:
    """'best of 12 candidates, 0.79 for the runner-up; ahead on pacing (+0.33); behind on loudness (-0.10)'."""
    if runner_up is None:
        return "the only READY candidate"
    score, other = runner_up
    diffs = {term: breakdown[term] - other.get(term, 0.0) for term in breakdown}
    ahead = sorted((t for t, d in diffs.items() if d > EVEN), key=lambda t: -diffs[t])
    behind = sorted((t for t, d in diffs.items() if d < -EVEN), key=lambda t: diffs[t])
    parts = [f"{label} on " + ", ".join(f"{t} ({diffs[t]:+.2f})" for t in terms[:MAX_TERMS])
             for label, terms in (("ahead", ahead), ("behind", behind)) if terms]  # fmt: skip
    return f"best of {candidates} candidates, {score:.2f} for the runner-up" + "".join(f"; {p}" for p in parts)
