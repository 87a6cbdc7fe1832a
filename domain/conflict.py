"""How far to trust borrowed benchmark evidence once the client's own results are in (prior–data conflict).

The benchmark rows are someone else's market, so their Beta is used as a power prior: its pseudo-counts are
multiplied by a credibility δ ∈ [0, 1]. How likely the client's own conversions are under each δ (the
Beta-Binomial marginal likelihood, as in the empirical-Bayes power prior of Gravestock & Held, 2017) says
how far to trust it; δ is the largest value the data does not reject at 95 % — within 1.92 nats (χ²₁ 3.84 / 2)
of the most likely δ. So no client data, or data that agrees, keeps δ = 1 (the most-likely δ alone would
drop to ~0.1 for a third of clients whose data matches the market, on chance streaks), while data that
contradicts the benchmark drives δ towards 0: a wrong market prior stops steering Thompson Sampling after a
few hundred of the client's own clicks instead of after thousands. Vectorized so the regret benchmark runs
the very same code.
"""

from __future__ import annotations

import math

import numpy as np

# δ from full trust down to none in steps of 1 %: a grid keeps the choice exact and repeatable
CREDIBILITY_GRID = np.arange(100, -1, -1) / 100
# a δ is kept unless the most likely one explains the client's data better by this much (likelihood ratio, 95 %)
REJECT_NATS = 1.92
_SHIFT = 8.0  # Stirling's series is accurate to ~1e-11 from here up
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def log_gamma(x: np.ndarray) -> np.ndarray:
    """ln Γ(x) for x > 0, elementwise: below 8, Γ(x) = Γ(x + 8) / (x(x + 1)…(x + 7)); then Stirling's series."""
    x = np.asarray(x, dtype=float)
    small = x < _SHIFT
    rising = np.minimum(x, _SHIFT)  # capped so the product cannot overflow where it is not used
    product = rising.copy()
    for step in range(1, int(_SHIFT)):
        product *= rising + step
    x = np.where(small, x + _SHIFT, x)
    inv, inv2 = 1.0 / x, 1.0 / (x * x)
    series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
    stirling = (x - 0.5) * np.log(x) - x + _HALF_LOG_2PI + series
    return np.where(small, stirling - np.log(product), stirling)


def log_beta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), elementwise."""
    return log_gamma(a) + log_gamma(b) - log_gamma(np.asarray(a) + np.asarray(b))


def benchmark_credibility(
    benchmark_conversions: np.ndarray | float,
    benchmark_misses: np.ndarray | float,
    client_conversions: np.ndarray | float,
    client_misses: np.ndarray | float,
) -> np.ndarray:
    """The largest δ whose Beta-Binomial likelihood of the client's counts, under Beta(1 + δ·conv, 1 + δ·misses),
    is within REJECT_NATS of the best δ's. Counts are weighted pseudo-counts (α − 1, β − 1) of any shapes that
    broadcast; they must be finite and non-negative.
    """
    counts = (benchmark_conversions, benchmark_misses, client_conversions, client_misses)
    bench_a, bench_b, conv, miss = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in counts))
    if not all(np.isfinite(v).all() and (v >= 0).all() for v in (bench_a, bench_b, conv, miss)):
        raise ValueError("pseudo-counts must be finite and non-negative")
    grid = CREDIBILITY_GRID.reshape((-1,) + (1,) * bench_a.ndim)
    prior_a, prior_b = 1.0 + grid * bench_a, 1.0 + grid * bench_b
    # the marginal likelihood up to the binomial coefficient, which does not depend on δ
    likelihood = log_beta(prior_a + conv, prior_b + miss) - log_beta(prior_a, prior_b)
    not_rejected = likelihood >= likelihood.max(axis=0) - REJECT_NATS
    return CREDIBILITY_GRID[not_rejected.argmax(axis=0)]
