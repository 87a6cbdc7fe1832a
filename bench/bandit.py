"""Bandit benchmark: Thompson Sampling against Chapelle & Li (2011) and UCB, then benchmark priors in a market.

Targets (issue): (1) Bernoulli K = 10, best arm 0.5, others 0.4, feedback every 100 steps, T = 10^6: mean regret
within 15 % of the paper's ~410 and below UCB measured in the same run (TS is also run to T = 10^7, the horizon
of the paper's Figure 1); (2) over the first 10^4 impressions of a simulated market, TS with the shipped
benchmark priors (capped, decayed, conflict-discounted) from a noisy related market has ≤ 0.6x the regret of
uninformed TS, and ≤ 1.5x with the best and worst patterns' priors swapped. Regret is the expected (pseudo)
regret Σ pulls × (μ* − μ). The draws are those of domain.bandit (rng.beta of each arm's posterior, argmax) and
the credibility is domain.conflict's, vectorized over runs and over the steps of a feedback batch: a Python
call per impression would take hours.
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

from bench.bandit_sim import BATCH, simulate, summary
from domain.posterior import PatternRow, pool_evidence
from domain.prior import BENCHMARK_WEIGHT, benchmark_prior
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
OUT_JSON, OUT_PNG = ROOT / "bench" / "out" / "bandit.json", ROOT / "bench" / "out" / "bandit.png"
CL_MEANS = np.array([0.5] + [0.4] * 9)
PAPER_HORIZON, PAPER_REGRET, PAPER_TOLERANCE = 10**6, 410.0, 0.15
FIGURE_HORIZON = 10**7  # where the paper's Figure 1 curves end
MARKET_K, MARKET_T, CVR_LOW, CVR_HIGH = 8, 10_000, 0.01, 0.06
NOISE_SIGMA, AGE_DAYS = 0.25, 90.0  # the related market's lognormal noise; 3-month-old benchmark rows
LONGEVITY_DAYS, DAILY_CLICKS = 30.0, 1000.0  # 30,000 clicks, so the pseudo-click cap binds
# what ships: the settings' defaults for the cap and the half-life
PRIOR_CAP = float(Settings.model_fields["benchmark_prior_max_clicks"].default)
HALF_LIFE_DAYS = float(Settings.model_fields["benchmark_half_life_days"].default)
TARGET_INFORMED, TARGET_SWAPPED = 0.6, 1.5
console = Console(width=max(Console().width, 110))  # the table's rows fit on one line


def chapelle_li(horizon: int, runs: int, figure_runs: int, seed: int) -> dict[str, Any]:
    """Experiment 1: TS with Beta(1, 1) priors, UCB1 and KL-UCB on the paper's K = 10, ε = 0.1 problem."""
    means = np.broadcast_to(CL_MEANS, (runs, len(CL_MEANS)))
    uniform = (np.zeros_like(means), np.zeros_like(means))
    out: dict[str, Any] = {}
    for offset, policy in enumerate(("ts", "ucb1", "klucb")):
        start = time.perf_counter()
        out[policy] = summary(*simulate(policy, means, uniform, horizon, seed + offset), start)
    if figure_runs:  # the same TS on to the end of the paper's Figure 1
        start, means = time.perf_counter(), np.broadcast_to(CL_MEANS, (figure_runs, len(CL_MEANS)))
        uniform = (np.zeros_like(means), np.zeros_like(means))
        out["ts_figure"] = summary(*simulate("ts", means, uniform, FIGURE_HORIZON, seed + 3), start)
    gap, best = CL_MEANS.max() - CL_MEANS, CL_MEANS.max()
    kl = CL_MEANS * np.log(CL_MEANS / best) + (1 - CL_MEANS) * np.log((1 - CL_MEANS) / (1 - best))
    out["lai_robbins"] = float(sum(g / k for g, k in zip(gap, kl, strict=True) if g > 0) * math.log(horizon))
    return out


def market_evidence(related: np.ndarray, cap: float, half_life: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Each pattern's benchmark pseudo-counts through the system's own path: benchmark_prior, weight, decay."""
    conversions, misses = np.zeros_like(related), np.zeros_like(related)
    for index, cvr in np.ndenumerate(related):
        prior = benchmark_prior(float(cvr), LONGEVITY_DAYS, DAILY_CLICKS, max_pseudo_clicks=cap)
        row = PatternRow("benchmark", prior.alpha, prior.beta, BENCHMARK_WEIGHT, age_days=AGE_DAYS)
        pooled = pool_evidence([row], half_life, discount_conflicts=False)  # the bandit discounts as data arrives
        conversions[index], misses[index] = pooled.benchmark_conversions, pooled.benchmark_misses
    return conversions, misses


def market(runs: int, seed: int) -> dict[str, Any]:
    """Experiment 2: uninformed TS vs TS with benchmark priors, right and swapped, with and without the guards."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(CVR_LOW, CVR_HIGH, size=(runs, MARKET_K))
    related = np.clip(means * rng.lognormal(0.0, NOISE_SIGMA, size=means.shape), 0.0, 1.0)
    swapped = related.copy()
    rows, best, worst = np.arange(runs), means.argmax(axis=1), means.argmin(axis=1)
    swapped[rows, best], swapped[rows, worst] = related[rows, worst], related[rows, best]
    right = market_evidence(related, PRIOR_CAP, HALF_LIFE_DAYS)
    wrong = market_evidence(swapped, PRIOR_CAP, HALF_LIFE_DAYS)
    none = (np.zeros_like(means), np.zeros_like(means))
    variants = {  # name: (benchmark evidence, conflict discount)
        "uninformed": (none, False),
        "benchmark priors": (right, True),
        "swapped priors": (wrong, True),
        "benchmark priors, no discount": (right, False),
        "swapped, no discount": (wrong, False),
        "swapped, no guards": (market_evidence(swapped, LONGEVITY_DAYS * DAILY_CLICKS, None), False),
    }
    out: dict[str, Any] = {}
    for name, (bench, discount) in variants.items():
        # the same bandit seed for every variant: only the priors differ (common random numbers)
        start = time.perf_counter()
        out[name] = summary(*simulate("ts", means, bench, MARKET_T, seed + 1, discount), start)
    base = out["uninformed"]["final"]
    for entry in out.values():
        entry["ratio"] = entry["mean"] / base.mean()
        # the ratio's spread across runs pairs each variant with the uninformed run on the same market
        diff = entry["final"] - entry["ratio"] * base
        entry["ratio_se"] = float(diff.std(ddof=1) / math.sqrt(runs) / base.mean())
    return out


def plot(cl: dict[str, Any], mk: dict[str, Any]) -> None:
    """Mean cumulative regret curves of both experiments side by side."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    curves = (("ts_figure", "Thompson Sampling"), ("ts", "Thompson Sampling"), ("ucb1", "UCB1"), ("klucb", "KL-UCB"))
    for policy, label in curves:
        if policy in cl:
            entry = cl[policy]
            label = f"{label}, T = {_power(int(entry['steps'][-1]))} ({entry['mean']:.0f})"
            left.plot(entry["steps"], entry["curve"], label=label)
    left.axhspan(PAPER_REGRET * (1 - PAPER_TOLERANCE), PAPER_REGRET * (1 + PAPER_TOLERANCE), color="k", alpha=0.08,
                 label=f"issue's figure for the paper ≈ {PAPER_REGRET:.0f} ± 15 %")  # fmt: skip
    left.set(xscale="log", yscale="log", xlabel="impressions (log)", ylabel="mean cumulative regret (log)",
             title="K = 10, μ = 0.5 vs 0.4, feedback every 100 steps")  # fmt: skip
    for name, entry in mk.items():
        right.plot(entry["steps"], entry["curve"], label=f"{name} ({entry['ratio']:.2f}x)")
    right.set(xlabel="impressions", ylabel="mean cumulative regret (conversions)",
              title=f"{MARKET_K} patterns, CVR 1–6 %, related-market priors (σ = {NOISE_SIGMA})")  # fmt: skip
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small")
    fig.tight_layout()
    OUT_PNG.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT_PNG, dpi=110)
    plt.close(fig)


def _power(steps: int) -> str:
    exponent = round(math.log10(steps))
    return f"10^{exponent}" if 10**exponent == steps else f"{steps:,}"


def _paper_row(table: Table, entry: dict[str, Any], label: str, passed: bool | None) -> None:
    verdict = {True: "[green]PASS[/]", False: "[red]FAIL[/]", None: "skipped: other T"}[passed]
    table.add_row(label, f"{entry['mean']:.0f} ± {entry['se']:.0f}", f"{entry['mean'] / PAPER_REGRET:.2f}x 410",
                  f"{PAPER_REGRET:.0f} ± 15 %  {verdict}")  # fmt: skip


def report(cl: dict[str, Any], mk: dict[str, Any], horizon: int, runs: int, market_runs: int) -> dict[str, Any]:
    """Print the table with PASS/FAIL per target; return the figures for the JSON file."""
    verdict = {True: "[green]PASS[/]", False: "[red]FAIL[/]"}
    ts, ucb1, klucb = cl["ts"], cl["ucb1"], cl["klucb"]

    def near_paper(entry: dict[str, Any]) -> bool:
        return bool(abs(entry["mean"] / PAPER_REGRET - 1) <= PAPER_TOLERANCE)

    passes: dict[str, bool | None] = {
        "paper": near_paper(ts) if horizon == PAPER_HORIZON else None,
        "paper_at_figure_horizon": near_paper(cl["ts_figure"]) if "ts_figure" in cl else None,
        "below_ucb": bool(ts["mean"] < min(ucb1["mean"], klucb["mean"])),
        "informed": bool(mk["benchmark priors"]["ratio"] <= TARGET_INFORMED),
        "swapped": bool(mk["swapped priors"]["ratio"] <= TARGET_SWAPPED),
    }
    table = Table(title=f"Bandit benchmark (experiment 1: {runs} runs of T = {horizon:,}; 2: {market_runs} markets)")
    for column in ("figure", "mean regret ± s.e.", "ratio", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    _paper_row(table, ts, f"1. TS, Beta(1,1), T = {_power(horizon)}", passes["paper"])
    if "ts_figure" in cl:
        figure = cl["ts_figure"]
        label = f"1. TS, T = {_power(FIGURE_HORIZON)} (paper's Fig. 1; {len(figure['final'])} runs)"
        _paper_row(table, figure, label, passes["paper_at_figure_horizon"])
    for name, entry in (("UCB1", ucb1), ("KL-UCB", klucb)):
        table.add_row(f"1. {name}, same batches", f"{entry['mean']:.0f} ± {entry['se']:.0f}",
                      f"TS {ts['mean'] / entry['mean']:.2f}x", "TS below")  # fmt: skip
    table.add_row("1. TS below both UCBs", "", "", verdict[bool(passes["below_ucb"])])
    table.add_row("1. Lai–Robbins bound (context)", f"{cl['lai_robbins']:.0f}", "", "")
    targets = {"benchmark priors": ("informed", TARGET_INFORMED), "swapped priors": ("swapped", TARGET_SWAPPED)}
    for name, entry in mk.items():
        key, bound = targets.get(name, (None, None))
        target = f"≤ {bound}x  {verdict[bool(passes[key])]}" if key else "context"
        table.add_row(f"2. TS, {name}", f"{entry['mean']:.1f} ± {entry['se']:.1f}",
                      f"{entry['ratio']:.2f} ± {entry['ratio_se']:.2f}x", target)  # fmt: skip
    console.print(table)
    strip = ("steps", "curve", "final")
    return {
        "chapelle_li": {k: {f: v for f, v in e.items() if f not in strip} if isinstance(e, dict) else e
                        for k, e in cl.items()},
        "market": {k: {f: v for f, v in e.items() if f not in strip} for k, e in mk.items()},
        "passes": passes, "paper_regret": PAPER_REGRET,
        "settings": {"horizon": horizon, "runs": runs, "market_runs": market_runs, "batch": BATCH,
                     "market_horizon": MARKET_T, "patterns": MARKET_K, "cvr_range": [CVR_LOW, CVR_HIGH],
                     "noise_sigma": NOISE_SIGMA, "age_days": AGE_DAYS, "half_life_days": HALF_LIFE_DAYS,
                     "prior_cap": PRIOR_CAP, "benchmark_weight": BENCHMARK_WEIGHT},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=PAPER_HORIZON, help="experiment 1 steps (default 10^6)")
    parser.add_argument("--runs", type=int, default=30, help="experiment 1 runs (default 30)")
    parser.add_argument("--figure-runs", type=int, default=20,
                        help="runs of TS to T = 10^7, the paper's Figure 1 horizon (default 20; 0 skips)")  # fmt: skip
    parser.add_argument("--market-runs", type=int, default=1000, help="experiment 2 markets (default 1000)")
    parser.add_argument("--seed", type=int, default=2011)
    parser.add_argument("--quick", action="store_true", help="T = 10^5, 8 runs, no 10^7 run, 200 markets: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.horizon, args.runs, args.figure_runs, args.market_runs = 10**5, 8, 0, 200
    start = time.perf_counter()
    console.print(f"experiment 1: {args.runs} runs × T = {args.horizon:,} for TS, UCB1, KL-UCB; "
                  f"{args.figure_runs} TS runs × T = {FIGURE_HORIZON:,} …")  # fmt: skip
    cl = chapelle_li(args.horizon, args.runs, args.figure_runs, args.seed)
    console.print(f"experiment 2: {args.market_runs} simulated markets × {MARKET_T:,} impressions …")
    mk = market(args.market_runs, args.seed + 100)
    figures = report(cl, mk, args.horizon, args.runs, args.market_runs)
    plot(cl, mk)
    elapsed = time.perf_counter() - start
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(figures | {"seconds": elapsed, "cpus": os.cpu_count(), "at": time.time()},
                                   indent=2) + "\n")  # fmt: skip
    console.print(f"{elapsed:.0f} s; figures in {OUT_JSON.relative_to(ROOT)}, plot in {OUT_PNG.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
