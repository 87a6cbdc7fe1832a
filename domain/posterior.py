"""A pattern's Beta posterior: its rows' evidence pooled with per-source weights (DESIGN §8)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


class InvalidEvidence(ValueError):
    """An evidence row that cannot be pooled (the message names the field)."""


@dataclass(frozen=True)
class Evidence:
    """One row's Beta(α, β) and how much it counts (benchmark 2.0, client 1.0)."""

    alpha: float
    beta: float
    weight: float

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidEvidence(f"{name} must be a finite number")
        # α, β ≥ 1 keep every pooled term non-negative, so the posterior stays a proper Beta
        if self.alpha < 1 or self.beta < 1:
            raise InvalidEvidence("alpha and beta must be at least 1")
        if self.weight < 0:
            raise InvalidEvidence("weight must not be negative")


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


def pattern_posterior(rows: Iterable[Evidence]) -> BetaPosterior:
    """α = 1 + Σ wᵢ(αᵢ − 1), β = 1 + Σ wᵢ(βᵢ − 1): no rows gives the uniform Beta(1, 1)."""
    alpha = beta = 1.0
    for row in rows:
        alpha += row.weight * (row.alpha - 1.0)
        beta += row.weight * (row.beta - 1.0)
    return BetaPosterior(alpha=alpha, beta=beta)
