"""Choosing a platform's best clip: every READY clip scored by the rule engine, one winner."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.platforms import Platform
from domain.posterior import BetaPosterior, PatternRow, pattern_posterior
from domain.rules import ClipFeatures, Score, Weights, best_of, evaluate_clip


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


def select_best(
    clips: Sequence[tuple[str, ClipFeatures]],
    platform: Platform,
    weights: Weights,
    rows: Sequence[PatternEvidence],
    half_life_days: float | None = None,
) -> tuple[str, Score, int]:
    """(winning clip id, its score, number of candidates); ties broken deterministically by `best_of`."""
    if not clips:
        raise ValueError("no READY clip to choose from")
    scored = score_clips(clips, platform, weights, rows, half_life_days)
    winner = best_of(scored)
    return winner, dict(scored)[winner], len(scored)
