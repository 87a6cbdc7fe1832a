"""A pattern's Beta posterior: benchmark rows decayed by age and discounted by credibility, plus the client's own rows.

The one posterior model: clip scoring, recommendations and the budget split all pool evidence here (DESIGN §8).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from domain.conflict import benchmark_credibility


class InvalidEvidence(ValueError):
    """An evidence row that cannot be pooled (the message names the field)."""


@dataclass(frozen=True)
class BetaPosterior:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """Pseudo-observations behind the posterior beyond the uniform base (0 = no evidence)."""
        return self.alpha + self.beta - 2.0


Source = Literal["benchmark", "client"]
SOURCES: tuple[Source, ...] = ("benchmark", "client")


@dataclass(frozen=True)
class PatternRow:
    """One benchmark or client row of a pattern: its Beta, its weight and how old its evidence is."""

    source: Source
    alpha: float
    beta: float
    weight: float
    age_days: float = 0.0

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise InvalidEvidence("source must be 'benchmark' or 'client'")
        for name in ("alpha", "beta", "weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidEvidence(f"{name} must be a finite number")
        # α, β ≥ 1 keep every pooled term non-negative, so the posterior stays a proper Beta
        if self.alpha < 1 or self.beta < 1:
            raise InvalidEvidence("alpha and beta must be at least 1")
        if self.weight < 0:
            raise InvalidEvidence("weight must not be negative")
        _check_age(self.age_days)


def _check_age(age_days: float) -> None:
    if isinstance(age_days, bool) or not isinstance(age_days, int | float) or not math.isfinite(age_days):
        raise InvalidEvidence("age_days must be a finite number")
    if age_days < 0:
        raise InvalidEvidence("age_days must not be negative")


def decay_factor(age_days: float, half_life_days: float | None) -> float:
    """0.5 ** (age / half-life); no half-life (None or inf) means no decay."""
    _check_age(age_days)
    if half_life_days is None or half_life_days == math.inf:
        return 1.0
    if not (math.isfinite(half_life_days) and half_life_days > 0):
        raise ValueError("half_life_days must be positive, inf or None")
    return float(0.5 ** (age_days / half_life_days))


def _effective_weight(row: PatternRow, half_life_days: float | None) -> float:
    # the client's own results are the thing being measured, so only borrowed market evidence ages
    if row.source == "client":
        return row.weight
    return row.weight * decay_factor(row.age_days, half_life_days)


@dataclass(frozen=True)
class PooledEvidence:
    """A pattern's weighted pseudo-counts by source (benchmark ones decayed) and the benchmark's credibility."""

    benchmark_conversions: float
    benchmark_misses: float
    client_conversions: float
    client_misses: float
    credibility: float

    @property
    def posterior(self) -> BetaPosterior:
        """Beta(1 + δ·benchmark + client): DESIGN §8's pooling with the benchmark's weight scaled by δ."""
        return BetaPosterior(
            alpha=1.0 + self.credibility * self.benchmark_conversions + self.client_conversions,
            beta=1.0 + self.credibility * self.benchmark_misses + self.client_misses,
        )

    def split(self) -> dict[str, float]:
        """Pseudo-clicks each source adds after weights, decay and credibility, the benchmark's share, and δ."""
        benchmark = self.credibility * (self.benchmark_conversions + self.benchmark_misses)
        client = self.client_conversions + self.client_misses
        total = benchmark + client
        return {
            "benchmark": benchmark,
            "client": client,
            "benchmark_share": benchmark / total if total > 0 else 0.0,
            "benchmark_credibility": self.credibility,
        }


def pool_evidence(
    rows: Iterable[PatternRow], half_life_days: float | None, discount_conflicts: bool = True
) -> PooledEvidence:
    """Sum each source's weighted pseudo-counts; then how far the client's own data lets the benchmark count."""
    counts = {"benchmark": [0.0, 0.0], "client": [0.0, 0.0]}
    for row in rows:
        weight = _effective_weight(row, half_life_days)
        counts[row.source][0] += weight * (row.alpha - 1.0)
        counts[row.source][1] += weight * (row.beta - 1.0)
    (bench_conv, bench_miss), (client_conv, client_miss) = counts["benchmark"], counts["client"]
    credibility = 1.0
    if discount_conflicts:
        credibility = float(benchmark_credibility(bench_conv, bench_miss, client_conv, client_miss))
    return PooledEvidence(bench_conv, bench_miss, client_conv, client_miss, credibility)


def pattern_posterior(
    rows: Iterable[PatternRow], half_life_days: float | None = None, discount_conflicts: bool = True
) -> BetaPosterior:
    """THE posterior of a pattern: clip scores, recommendations and budgets all use it.

    DESIGN §8's pooling, each benchmark row's weight decayed by its age and, once the client's own results
    contradict the benchmark, scaled down by its credibility (domain.conflict).
    """
    return pool_evidence(rows, half_life_days, discount_conflicts).posterior


def evidence_split(rows: Iterable[PatternRow], half_life_days: float | None) -> dict[str, float]:
    """Pseudo-clicks each source adds after weights, decay and credibility, the benchmark's share, and δ."""
    return pool_evidence(rows, half_life_days).split()
