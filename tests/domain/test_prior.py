import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.prior import InvalidMarketFigures, benchmark_prior


def test_seed_example_is_capped_to_alpha_51_beta_951() -> None:
    prior = benchmark_prior(0.05, 30, 1000)
    assert prior.alpha == pytest.approx(51)
    assert prior.beta == pytest.approx(951)


def test_uncapped_prior_follows_the_seed_formula() -> None:
    # 10 days × 20 clicks = 200 clicks, 10 conversions
    prior = benchmark_prior(0.05, 10, 20)
    assert (prior.alpha, prior.beta) == (pytest.approx(11), pytest.approx(191))


@pytest.mark.parametrize(
    ("cvr", "days", "clicks", "field"),
    [
        (-0.01, 30, 100, "market_cvr"),
        (1.01, 30, 100, "market_cvr"),
        (math.nan, 30, 100, "market_cvr"),
        (0.05, 0, 100, "market_longevity_days"),
        (0.05, -3, 100, "market_longevity_days"),
        (0.05, math.inf, 100, "market_longevity_days"),
        (0.05, 30, 0, "avg_daily_clicks"),
        (0.05, 30, math.nan, "avg_daily_clicks"),
    ],
)
def test_invalid_figures_are_refused_naming_the_field(cvr: float, days: float, clicks: float, field: str) -> None:
    with pytest.raises(InvalidMarketFigures, match=field):
        benchmark_prior(cvr, days, clicks)


finite_positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(
    cvr=st.floats(min_value=0, max_value=1),
    days=finite_positive,
    clicks=finite_positive,
    cap=st.floats(min_value=1, max_value=1e6),
)
def test_prior_properties(cvr: float, days: float, clicks: float, cap: float) -> None:
    prior = benchmark_prior(cvr, days, clicks, cap)
    assert prior.alpha >= 1 and prior.beta >= 1
    assert prior.strength <= cap * (1 + 1e-9)
    # the mean is the CVR shrunk by the two pseudo-observations of the uniform base
    evidence = prior.strength
    assert prior.mean == pytest.approx((cvr * evidence + 1) / (evidence + 2), rel=1e-9, abs=1e-12)
    # ... so it equals the CVR within 1/(n + 2): docs/contract/market-ingestion.md's example is off by 0.0009
    assert abs(prior.mean - cvr) <= 1 / (evidence + 2) + 1e-12
