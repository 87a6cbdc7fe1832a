"""Thompson Sampling over pattern posteriors (domain.posterior): draws, P(best), credible intervals, budget split."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from domain.posterior import BetaPosterior

# the continued fraction needs O(√(α+β)) terms: 20,000 covers posteriors of ~10^8 pseudo-clicks
_CF_MAX_TERMS = 20_000
_CF_EPS = 1e-15
_TINY = 1e-300


def _parameters(posteriors: Sequence[BetaPosterior]) -> tuple[np.ndarray, np.ndarray]:
    if not posteriors:
        raise ValueError("at least one posterior is needed")
    return np.array([p.alpha for p in posteriors]), np.array([p.beta for p in posteriors])


def thompson_draw(posteriors: Sequence[BetaPosterior], rng: np.random.Generator) -> np.ndarray:
    """One draw per posterior, in order: the sampled CVRs that Thompson Sampling compares."""
    alphas, betas = _parameters(posteriors)
    return rng.beta(alphas, betas)


def thompson_rank(posteriors: Sequence[BetaPosterior], rng: np.random.Generator) -> list[int]:
    """Indices ordered by one Thompson draw, highest first (ties keep index order)."""
    draws = thompson_draw(posteriors, rng)
    return [int(i) for i in np.argsort(-draws, kind="stable")]


def probability_best(posteriors: Sequence[BetaPosterior], rng: np.random.Generator, draws: int = 20_000) -> np.ndarray:
    """Monte Carlo P(each arm has the highest CVR): draws × K samples, argmax per row; sums to 1."""
    if draws < 1:
        raise ValueError("draws must be at least 1")
    alphas, betas = _parameters(posteriors)
    samples = rng.beta(alphas, betas, size=(draws, len(alphas)))
    wins = np.bincount(samples.argmax(axis=1), minlength=len(alphas))
    return wins / draws


def _continued_fraction(x: float, a: float, b: float) -> float:
    """Lentz's evaluation of the incomplete beta continued fraction (converges for x < (a+1)/(a+b+2))."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, _CF_MAX_TERMS + 1):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < _CF_EPS:
            return result
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta I_x(a, b): P(Beta(a, b) ≤ x)."""
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise ValueError("a and b must be positive and finite")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    # evaluate the fraction on the side where it converges fast; the symmetry I_x(a,b) = 1 − I_(1−x)(b,a)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _continued_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _continued_fraction(1.0 - x, b, a) / b


def beta_quantile(p: float, a: float, b: float) -> float:
    """The x with I_x(a, b) = p, by bisection (the CDF is monotone, so it cannot fail to bracket)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must be in [0, 1]")
    if p in (0.0, 1.0):
        return p
    low, high = 0.0, 1.0
    # 200 halvings reach the spacing of doubles near 0 too, where tight posteriors put their tails
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid in (low, high):
            break
        if beta_cdf(mid, a, b) < p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def credible_interval(posterior: BetaPosterior, level: float = 0.95) -> tuple[float, float]:
    """The equal-tailed credible interval: exact Beta quantiles at (1 ∓ level) / 2."""
    if not 0.0 < level < 1.0:
        raise ValueError("level must be strictly between 0 and 1")
    tail = (1.0 - level) / 2.0
    return (
        beta_quantile(tail, posterior.alpha, posterior.beta),
        beta_quantile(1.0 - tail, posterior.alpha, posterior.beta),
    )


def _exact(value: float, name: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    # the decimal the caller wrote (0.1 is 1/10), so floors match what a person computes by hand
    return Fraction(repr(float(value)))


def split_budget(total_cents: int, p_best: Sequence[float], min_share: float) -> list[int]:
    """Cents per arm ∝ P(best) above a floor of min_share each; integers that sum exactly to the total."""
    if isinstance(total_cents, bool) or not isinstance(total_cents, int) or total_cents < 0:
        raise ValueError("total_cents must be a non-negative integer")
    if not p_best:
        raise ValueError("at least one arm is needed")
    probabilities = [_exact(p, "p_best") for p in p_best]
    if any(p < 0 for p in probabilities):
        raise ValueError("p_best must not be negative")
    floor = _exact(min_share, "min_share")
    if not 0 <= floor <= 1:
        raise ValueError("min_share must be in [0, 1]")
    k, mass = len(probabilities), sum(probabilities, Fraction(0))
    if k * floor >= 1 or mass == 0:
        # floors alone use the whole budget, or nothing tells the arms apart: an even split
        shares = [Fraction(1, k)] * k
    else:
        shares = [floor + (1 - k * floor) * p / mass for p in probabilities]
    exact = [total_cents * s for s in shares]
    cents = [math.floor(e) for e in exact]
    # largest remainder; equal remainders go to the lower index so the split is reproducible
    order = sorted(range(k), key=lambda i: (-(exact[i] - cents[i]), i))
    for i in order[: total_cents - sum(cents)]:
        cents[i] += 1
    return cents
