"""Bandit benchmark: Thompson Sampling against Chapelle & Li (2011) and UCB, then benchmark priors in a market.

Targets (issue): (1) Bernoulli K = 10, best arm 0.5, others 0.4, feedback every 100 steps, T = 10^6: mean regret
within 15 % of the paper's ~410 and below UCB measured in the same run; (2) over the first 10^4 impressions of a
simulated market, TS with capped, decayed benchmark priors from a noisy related market has ≤ 0.6x the regret of
uninformed TS, and ≤ 1.5x with the best and worst patterns' priors swapped. Regret is the expected (pseudo)
regret Σ pulls × (μ* − μ). The draws are those of domain.bandit (rng.beta of each arm's posterior, argmax),
vectorized over runs and over the steps of a feedback batch: a Python call per impression would take hours.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from domain.bandit import PatternRow, pattern_posterior_decayed
from domain.prior import BENCHMARK_WEIGHT, DEFAULT_MAX_PSEUDO_CLICKS, benchmark_prior

ROOT = Path(__file__).resolve().parent.parent
OUT_JSON, OUT_PNG = ROOT / "bench" / "out" / "bandit.json", ROOT / "bench" / "out" / "bandit.png"
CL_MEANS = np.array([0.5] + [0.4] * 9)
BATCH, PAPER_HORIZON, PAPER_REGRET, PAPER_TOLERANCE = 100, 10**6, 410.0, 0.15
MARKET_K, MARKET_T, CVR_LOW, CVR_HIGH = 8, 10_000, 0.01, 0.06
NOISE_SIGMA, AGE_DAYS, HALF_LIFE_DAYS = 0.25, 90.0, 90.0  # related market's lognormal noise; 3-month-old rows
LONGEVITY_DAYS, DAILY_CLICKS = 30.0, 1000.0  # 30,000 clicks, so the 1,000 pseudo-click cap binds
TARGET_INFORMED, TARGET_SWAPPED = 0.6, 1.5
SWEEP_AGES = (0.0, 180.0, 270.0, 365.0)
console = Console(width=max(Console().width, 110))  # the table's rows fit on one line


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
    policy: str, means: np.ndarray, prior_a: np.ndarray, prior_b: np.ndarray, horizon: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Runs × arms in parallel, posteriors frozen for each batch of 100; cumulative regret after each batch."""
    rng = np.random.default_rng(seed)
    runs, arms = means.shape
    gaps = means.max(axis=1, keepdims=True) - means
    wins, pulls = np.zeros((runs, arms)), np.zeros((runs, arms))
    offsets = (np.arange(runs) * arms)[None, :]
    steps, curve, regret, t = [], [], np.zeros(runs), 0
    while t < horizon:
        size = min(BATCH, horizon - t)
        if policy == "ts":
            draws = rng.beta(prior_a + wins, prior_b + pulls - wins, size=(size, runs, arms))
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


def chapelle_li(horizon: int, runs: int, seed: int) -> dict[str, Any]:
    """Experiment 1: TS with Beta(1, 1) priors, UCB1 and KL-UCB on the paper's K = 10, ε = 0.1 problem."""
    means = np.broadcast_to(CL_MEANS, (runs, len(CL_MEANS)))
    ones = np.ones_like(means)
    out: dict[str, Any] = {}
    for offset, policy in enumerate(("ts", "ucb1", "klucb")):
        start = time.perf_counter()
        steps, curve = simulate(policy, means, ones, ones, horizon, seed + offset)
        final = curve[:, -1]
        out[policy] = {
            "mean": float(final.mean()), "se": float(final.std(ddof=1) / math.sqrt(runs)),
            "median": float(np.median(final)), "seconds": time.perf_counter() - start,
            "steps": steps, "curve": curve.mean(axis=0),
        }  # fmt: skip
    gap, best = CL_MEANS.max() - CL_MEANS, CL_MEANS.max()
    kl = CL_MEANS * np.log(CL_MEANS / best) + (1 - CL_MEANS) * np.log((1 - CL_MEANS) / (1 - best))
    out["lai_robbins"] = float(sum(g / k for g, k in zip(gap, kl, strict=True) if g > 0) * math.log(horizon))
    return out


def market_priors(
    related: np.ndarray, cap: float, half_life: float | None, age: float = AGE_DAYS
) -> tuple[np.ndarray, np.ndarray]:
    """Each pattern's prior through the system's own path: benchmark_prior, then the decayed weighted posterior."""
    alpha, beta = np.ones_like(related), np.ones_like(related)
    for index, cvr in np.ndenumerate(related):
        prior = benchmark_prior(float(cvr), LONGEVITY_DAYS, DAILY_CLICKS, max_pseudo_clicks=cap)
        row = PatternRow("benchmark", prior.alpha, prior.beta, BENCHMARK_WEIGHT, age_days=age)
        posterior = pattern_posterior_decayed([row], half_life)
        alpha[index], beta[index] = posterior.alpha, posterior.beta
    return alpha, beta


def market(runs: int, seed: int) -> dict[str, Any]:
    """Experiment 2: uninformed TS vs TS with benchmark priors (right, swapped, swapped without cap or decay)."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(CVR_LOW, CVR_HIGH, size=(runs, MARKET_K))
    related = np.clip(means * rng.lognormal(0.0, NOISE_SIGMA, size=means.shape), 0.0, 1.0)
    swapped = related.copy()
    rows, best, worst = np.arange(runs), means.argmax(axis=1), means.argmin(axis=1)
    swapped[rows, best], swapped[rows, worst] = related[rows, worst], related[rows, best]
    uncapped = LONGEVITY_DAYS * DAILY_CLICKS
    variants = {
        "uninformed": (np.ones_like(means), np.ones_like(means)),
        "benchmark priors": market_priors(related, DEFAULT_MAX_PSEUDO_CLICKS, HALF_LIFE_DAYS),
        "swapped priors": market_priors(swapped, DEFAULT_MAX_PSEUDO_CLICKS, HALF_LIFE_DAYS),
        "swapped, no cap or decay": market_priors(swapped, uncapped, None),
    }
    for age in SWEEP_AGES:  # context: how the prior's age trades the gain against the harm
        variants[f"aged {age:.0f} d"] = market_priors(related, DEFAULT_MAX_PSEUDO_CLICKS, HALF_LIFE_DAYS, age)
        variants[f"aged {age:.0f} d, swapped"] = market_priors(swapped, DEFAULT_MAX_PSEUDO_CLICKS, HALF_LIFE_DAYS, age)
    out: dict[str, Any] = {}
    for name, (alpha, beta) in variants.items():
        # the same bandit seed for every variant: only the priors differ (common random numbers)
        steps, curve = simulate("ts", means, alpha, beta, MARKET_T, seed + 1)
        final = curve[:, -1]
        out[name] = {
            "mean": float(final.mean()), "se": float(final.std(ddof=1) / math.sqrt(runs)),
            "steps": steps, "curve": curve.mean(axis=0), "final": final,
        }  # fmt: skip
    base = out["uninformed"]["final"]
    for entry in out.values():
        entry["ratio"] = entry["mean"] / base.mean()
        # the ratio's spread across runs pairs each variant with the uninformed run on the same market
        diff = entry.pop("final") - entry["ratio"] * base
        entry["ratio_se"] = float(diff.std(ddof=1) / math.sqrt(runs) / base.mean())
    return out


def plot(cl: dict[str, Any], mk: dict[str, Any], horizon: int) -> None:
    """Mean cumulative regret curves of both experiments side by side."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for policy, label in (("ts", "Thompson Sampling"), ("ucb1", "UCB1"), ("klucb", "KL-UCB")):
        left.plot(cl[policy]["steps"], cl[policy]["curve"], label=f"{label} ({cl[policy]['mean']:.0f})")
    if horizon == PAPER_HORIZON:
        left.errorbar([horizon], [PAPER_REGRET], yerr=[[PAPER_REGRET * PAPER_TOLERANCE]], fmt="k*", ms=10,
                      capsize=4, label=f"Chapelle & Li ≈ {PAPER_REGRET:.0f} ± 15 %")  # fmt: skip
    left.set(xscale="log", xlabel="impressions (log)", ylabel="mean cumulative regret",
             title="K = 10, μ = 0.5 vs 0.4, feedback every 100 steps")  # fmt: skip
    for name, entry in mk.items():
        if name.startswith("aged"):
            continue
        right.plot(entry["steps"], entry["curve"], label=f"{name} ({entry['ratio']:.2f}x)")
    right.set(xlabel="impressions", ylabel="mean cumulative regret (conversions)",
              title=f"{MARKET_K} patterns, CVR 1–6 %, related-market priors (σ = {NOISE_SIGMA})")  # fmt: skip
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend()
    fig.tight_layout()
    OUT_PNG.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT_PNG, dpi=110)
    plt.close(fig)


def report(cl: dict[str, Any], mk: dict[str, Any], horizon: int, runs: int, market_runs: int) -> dict[str, Any]:
    """Print the table with PASS/FAIL per target; return the figures for the JSON file."""
    verdict = {True: "[green]PASS[/]", False: "[red]FAIL[/]", None: "skipped: T ≠ 10^6"}
    ts, ucb1, klucb = cl["ts"], cl["ucb1"], cl["klucb"]
    paper_ratio = ts["mean"] / PAPER_REGRET
    passes: dict[str, bool | None] = {
        "paper": bool(abs(paper_ratio - 1) <= PAPER_TOLERANCE) if horizon == PAPER_HORIZON else None,
        "below_ucb": bool(ts["mean"] < min(ucb1["mean"], klucb["mean"])),
        "informed": bool(mk["benchmark priors"]["ratio"] <= TARGET_INFORMED),
        "swapped": bool(mk["swapped priors"]["ratio"] <= TARGET_SWAPPED),
    }
    table = Table(title=f"Bandit benchmark (experiment 1: {runs} runs of T = {horizon:,}; 2: {market_runs} markets)")
    for column in ("figure", "mean regret ± s.e.", "ratio", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    table.add_row("1. Thompson Sampling, Beta(1,1)", f"{ts['mean']:.0f} ± {ts['se']:.0f}",
                  f"{paper_ratio:.2f}x paper", f"{PAPER_REGRET:.0f} ± 15 %  {verdict[passes['paper']]}")  # fmt: skip
    for name, entry in (("UCB1", ucb1), ("KL-UCB", klucb)):
        table.add_row(f"1. {name}, same batches", f"{entry['mean']:.0f} ± {entry['se']:.0f}",
                      f"TS {ts['mean'] / entry['mean']:.2f}x", "TS below")  # fmt: skip
    table.add_row("1. TS below both UCBs", "", "", verdict[passes["below_ucb"]])
    table.add_row("1. Lai–Robbins asymptotic bound (context)", f"{cl['lai_robbins']:.0f}", "", "")
    targets = {"benchmark priors": TARGET_INFORMED, "swapped priors": TARGET_SWAPPED}
    for name, entry in mk.items():
        if name.startswith("aged"):
            continue
        key = {"benchmark priors": "informed", "swapped priors": "swapped"}.get(name)
        target = f"≤ {targets[name]}x  {verdict[passes[key]]}" if key else "context"
        table.add_row(f"2. TS, {name}", f"{entry['mean']:.1f} ± {entry['se']:.1f}",
                      f"{entry['ratio']:.2f} ± {entry['ratio_se']:.2f}x", target)  # fmt: skip
    console.print(table)
    sweep = Table(title=f"Context: the benchmark rows' age (half-life {HALF_LIFE_DAYS:.0f} d), ratio to uninformed")
    for column in ("rows' age", "benchmark pseudo-clicks", "right priors", "swapped priors", "both targets"):
        sweep.add_column(column, justify="right")
    for age in sorted((*SWEEP_AGES, AGE_DAYS)):
        right = mk["benchmark priors" if age == AGE_DAYS else f"aged {age:.0f} d"]["ratio"]
        wrong = mk["swapped priors" if age == AGE_DAYS else f"aged {age:.0f} d, swapped"]["ratio"]
        strength = DEFAULT_MAX_PSEUDO_CLICKS * BENCHMARK_WEIGHT * 0.5 ** (age / HALF_LIFE_DAYS)
        both = right <= TARGET_INFORMED and wrong <= TARGET_SWAPPED
        sweep.add_row(f"{age:.0f} d", f"{strength:.0f}", f"{right:.2f}x", f"{wrong:.2f}x", "yes" if both else "no")
    console.print(sweep)
    strip = ("steps", "curve")
    return {
        "chapelle_li": {k: {f: v for f, v in e.items() if f not in strip} if isinstance(e, dict) else e
                        for k, e in cl.items()},
        "market": {k: {f: v for f, v in e.items() if f not in strip} for k, e in mk.items()},
        "passes": passes, "paper_regret": PAPER_REGRET, "paper_ratio": paper_ratio,
        "settings": {"horizon": horizon, "runs": runs, "market_runs": market_runs, "batch": BATCH,
                     "market_horizon": MARKET_T, "patterns": MARKET_K, "cvr_range": [CVR_LOW, CVR_HIGH],
                     "noise_sigma": NOISE_SIGMA, "age_days": AGE_DAYS, "half_life_days": HALF_LIFE_DAYS,
                     "prior_cap": DEFAULT_MAX_PSEUDO_CLICKS, "benchmark_weight": BENCHMARK_WEIGHT},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=PAPER_HORIZON, help="experiment 1 steps (default 10^6)")
    parser.add_argument("--runs", type=int, default=30, help="experiment 1 runs (default 30)")
    parser.add_argument("--market-runs", type=int, default=1000, help="experiment 2 markets (default 1000)")
    parser.add_argument("--seed", type=int, default=2011)
    parser.add_argument("--quick", action="store_true", help="T = 10^5, 8 runs, 200 markets: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.horizon, args.runs, args.market_runs = 10**5, 8, 200
    start = time.perf_counter()
    console.print(f"experiment 1: {args.runs} runs × T = {args.horizon:,} for TS, UCB1, KL-UCB …")
    cl = chapelle_li(args.horizon, args.runs, args.seed)
    console.print(f"experiment 2: {args.market_runs} simulated markets × {MARKET_T:,} impressions …")
    mk = market(args.market_runs, args.seed + 100)
    figures = report(cl, mk, args.horizon, args.runs, args.market_runs)
    plot(cl, mk, args.horizon)
    elapsed = time.perf_counter() - start
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(figures | {"seconds": elapsed, "cpus": os.cpu_count(), "at": time.time()},
                                   indent=2) + "\n")  # fmt: skip
    console.print(f"{elapsed:.0f} s; figures in {OUT_JSON.relative_to(ROOT)}, plot in {OUT_PNG.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
