"""Beta priors from market benchmark figures (docs/contract/market-ingestion.md's formula, with a strength cap)."""

from __future__ import annotations

import math

from domain.posterior import BetaPosterior

BENCHMARK_WEIGHT = 2.0
CLIENT_WEIGHT = 1.0
DEFAULT_MAX_PSEUDO_CLICKS = 1000.0


class InvalidMarketFigures(ValueError):
    """Market figures that cannot make a prior (the message names the field)."""


def validate_market_figures(cvr: float, longevity_days: float, avg_daily_clicks: float) -> None:
    """Refuse figures that are not finite, a CVR outside [0, 1], non-positive days or clicks."""
    checks = {
        "market_cvr": cvr,
        "market_longevity_days": longevity_days,
        "avg_daily_clicks": avg_daily_clicks,
    }
    for name, value in checks.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise InvalidMarketFigures(f"{name} must be a finite number")
    if not 0.0 <= cvr <= 1.0:
        raise InvalidMarketFigures("market_cvr must be between 0 and 1")
    if longevity_days <= 0:
        raise InvalidMarketFigures("market_longevity_days must be positive")
    if avg_daily_clicks <= 0:
        raise InvalidMarketFigures("avg_daily_clicks must be positive")


def benchmark_prior(
    cvr: float,
    longevity_days: float,
    avg_daily_clicks: float,
    max_pseudo_clicks: float = DEFAULT_MAX_PSEUDO_CLICKS,
) -> BetaPosterior:
    """clicks = days × clicks/day, conversions = clicks × CVR, α = conv + 1, β = clicks − conv + 1.

    The figures are a user's estimates of someone else's ad, so the evidence they stand for is
    capped at `max_pseudo_clicks` while keeping the CVR: 30 days × 1,000/day at 5 % gives α 51, β 951.
    """
    validate_market_figures(cvr, longevity_days, avg_daily_clicks)
    if not (math.isfinite(max_pseudo_clicks) and max_pseudo_clicks > 0):
        raise InvalidMarketFigures("max_pseudo_clicks must be a positive finite number")
    clicks = min(longevity_days * avg_daily_clicks, max_pseudo_clicks)
    conversions = clicks * cvr
    return BetaPosterior(alpha=conversions + 1.0, beta=clicks - conversions + 1.0)
