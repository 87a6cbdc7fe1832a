import math
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.posterior import BetaPosterior, InvalidEvidence, PatternRow, pattern_posterior
from domain.prior import BENCHMARK_WEIGHT, CLIENT_WEIGHT, benchmark_prior


def plain_posterior(rows: Iterable[PatternRow]) -> BetaPosterior:
    """The posterior without decay or conflict discount: DESIGN §8's weighted pooling itself."""
    return pattern_posterior(rows, None, discount_conflicts=False)


def test_no_rows_is_the_uniform_beta_with_no_strength() -> None:
    posterior = plain_posterior([])
    assert (posterior.alpha, posterior.beta) == (1.0, 1.0)
    assert posterior.mean == 0.5
    assert posterior.strength == 0.0


def test_benchmark_weighted_two_plus_client_weighted_one() -> None:
    # benchmark Beta(51, 951) × 2 and a client's 5 conversions of 100 clicks, Beta(6, 96) × 1:
    # α = 1 + 2·50 + 1·5 = 106, β = 1 + 2·950 + 1·95 = 1996
    rows = [
        PatternRow("benchmark", 51, 951, BENCHMARK_WEIGHT),
        PatternRow("client", 6, 96, CLIENT_WEIGHT),
    ]
    posterior = plain_posterior(rows)
    assert (posterior.alpha, posterior.beta) == (pytest.approx(106), pytest.approx(1996))
    assert posterior.mean == pytest.approx(106 / 2102)
    assert posterior.strength == pytest.approx(2100)


def test_a_seed_benchmark_prior_feeds_the_posterior() -> None:
    prior = benchmark_prior(0.05, 30, 1000)
    posterior = plain_posterior([PatternRow("benchmark", prior.alpha, prior.beta, BENCHMARK_WEIGHT)])
    # twice the evidence, the same CVR
    assert posterior.strength == pytest.approx(2 * prior.strength)
    assert posterior.mean == pytest.approx(101 / 2002)


def test_a_zero_weight_row_changes_nothing() -> None:
    posterior = plain_posterior([PatternRow("client", 3, 7, 1.0), PatternRow("client", 500, 2, 0.0)])
    assert (posterior.alpha, posterior.beta) == (3.0, 7.0)


def test_rows_may_be_a_generator() -> None:
    posterior = plain_posterior(PatternRow("client", 2, 3, 1.0) for _ in range(3))
    assert (posterior.alpha, posterior.beta) == (4.0, 7.0)


@pytest.mark.parametrize(
    ("alpha", "beta", "weight", "field"),
    [
        (0.5, 2, 1, "alpha"),
        (2, 0.9, 1, "beta"),
        (2, 2, -1, "weight"),
        (math.nan, 2, 1, "alpha"),
        (2, math.inf, 1, "beta"),
        (2, 2, math.nan, "weight"),
    ],
)
def test_invalid_rows_are_refused(alpha: float, beta: float, weight: float, field: str) -> None:
    with pytest.raises(InvalidEvidence, match=field):
        PatternRow("client", alpha, beta, weight)


params = st.floats(min_value=1, max_value=1e6)
rows_strategy = st.lists(
    st.builds(
        PatternRow, source=st.just("client"), alpha=params, beta=params, weight=st.floats(min_value=0, max_value=10)
    ),
    max_size=8,
)


@given(rows=rows_strategy)
def test_posterior_properties(rows: list[PatternRow]) -> None:
    posterior = plain_posterior(rows)
    assert posterior.alpha >= 1 and posterior.beta >= 1
    assert 0 < posterior.mean < 1
    expected = sum(r.weight * (r.alpha + r.beta - 2) for r in rows)
    assert posterior.strength == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # order does not matter
    reversed_ = plain_posterior(reversed(rows))
    assert reversed_.alpha == pytest.approx(posterior.alpha, rel=1e-12)
    assert reversed_.beta == pytest.approx(posterior.beta, rel=1e-12)
