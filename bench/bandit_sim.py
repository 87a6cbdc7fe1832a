"""The batched bandit simulator behind bench/bandit.py: runs × arms in numpy, posteriors frozen per batch."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from domain.conflict import benchmark_credibility

BATCH = 100  # feedback arrives every 100 impressions


def _even(mask: np.ndarray, size: int) -> np.ndarray:
    """Spread size pulls over each row's masked arms, remainder to the first ones (UCB's untried arms)."""
    per_row = np.maximum(mask.sum(axis=1, keepdims=True), 1)
    rank = np.cumsum(mask, axis=1) - 1
    return np.where(mask, size // per_row + (rank < size % per_row), 0)


def _kl_ucb(mean: np.ndarray, pulls: np.ndarray, log_t: float) -> np.ndarray:
    """Largest q ≥ p̂ with n·KL(p̂, q) ≤ ln t, by 30 vectorized bisection steps (Garivier & Cappé, c = 0)."""
    p = np.clip(mean, 1e-12, 1 - 1e-12)
    low, high = mean.copy(), np.ones_like(mean)
    for _ in range(30):
        q = np.clip((low + high) / 2, 1e-12, 1 - 1e-12)
        kl = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
        inside = pulls * kl <= log_t
        low, high = np.where(inside, q, low), np.where(inside, high, q)
    return low


def simulate(
    policy: str,
    means: np.ndarray,
    bench: tuple[np.ndarray, np.ndarray],
    horizon: int,
    seed: int,
    discount: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Runs × arms in parallel, posteriors frozen for each batch of 100; cumulative regret after each batch.

    bench holds each arm's benchmark pseudo-conversions and misses (after weight and decay); with discount,
    they count by the credibility the client's data so far gives them, as in domain.bandit.pool_evidence.
    """
    rng = np.random.default_rng(seed)
    runs, arms = means.shape
    gaps = means.max(axis=1, keepdims=True) - means
    wins, pulls = np.zeros((runs, arms)), np.zeros((runs, arms))
    offsets = (np.arange(runs) * arms)[None, :]
    steps, curve, regret, t = [], [], np.zeros(runs), 0
    while t < horizon:
        size = min(BATCH, horizon - t)
        if policy == "ts":
            credibility = benchmark_credibility(*bench, wins, pulls - wins) if discount else 1.0
            alpha = 1.0 + credibility * bench[0] + wins
            beta = 1.0 + credibility * bench[1] + pulls - wins
            draws = rng.beta(alpha, beta, size=(size, runs, arms))
            flat = (draws.argmax(axis=2) + offsets).ravel()
            counts = np.bincount(flat, minlength=runs * arms).reshape(runs, arms)
        else:
            mean = wins / np.maximum(pulls, 1)
            if policy == "ucb1":
                index = mean + np.sqrt(2 * math.log(max(t, 1)) / np.maximum(pulls, 1))
            else:
                index = _kl_ucb(mean, pulls, math.log(max(t, 1)))
            # a frozen index sends the whole batch to one arm; untried arms share a batch instead of one each
            untried = pulls == 0
            best = np.eye(arms, dtype=bool)[index.argmax(axis=1)]
            counts = _even(np.where(untried.any(axis=1, keepdims=True), untried, best), size)
        wins += rng.binomial(counts, means)
        pulls += counts
        regret += (counts * gaps).sum(axis=1)
        t += size
        steps.append(t)
        curve.append(regret.copy())
    return np.array(steps), np.array(curve).T


def summary(steps: np.ndarray, curve: np.ndarray, started: float) -> dict[str, Any]:
    final = curve[:, -1]
    return {
        "mean": float(final.mean()), "se": float(final.std(ddof=1) / math.sqrt(len(final))),
        "median": float(np.median(final)), "seconds": time.perf_counter() - started,
        "steps": steps, "curve": curve.mean(axis=0), "final": final,
    }  # fmt: skip
