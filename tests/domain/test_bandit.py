import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.bandit import (
    beta_cdf,
    beta_quantile,
    credible_interval,
    probability_best,
    split_budget,
    thompson_draw,
    thompson_rank,
)
from domain.posterior import (
    BetaPosterior,
    InvalidEvidence,
    PatternRow,
    decay_factor,
    evidence_split,
    pattern_posterior,
)
from domain.prior import BENCHMARK_WEIGHT, CLIENT_WEIGHT


def p_greater(a1: int, b1: int, a2: int, b2: int) -> float:
    """P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), integer a1: the standard finite sum."""

    def log_b(x: float, y: float) -> float:
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    return sum(
        math.exp(log_b(a2 + i, b1 + b2) - math.log(b1 + i) - log_b(1 + i, b1) - log_b(a2, b2)) for i in range(a1)
    )


def test_decay_halves_at_one_half_life_and_none_means_no_decay() -> None:
    assert decay_factor(90, 90) == pytest.approx(0.5)
    assert decay_factor(180, 90) == pytest.approx(0.25)
    assert decay_factor(0, 90) == 1.0
    assert decay_factor(10_000, None) == 1.0
    assert decay_factor(10_000, math.inf) == 1.0
    with pytest.raises(ValueError, match="half_life"):
        decay_factor(1, 0)
    with pytest.raises(InvalidEvidence, match="age_days"):
        decay_factor(-1, 90)


def test_a_benchmark_row_at_one_half_life_counts_as_weight_one() -> None:
    # benchmark Beta(51, 951) × 2 × ½ and a client's 5 of 100, Beta(6, 96) × 1, which never decays:
    # α = 1 + 1·50 + 5 = 56, β = 1 + 1·950 + 95 = 1046
    rows = [
        PatternRow("benchmark", 51, 951, BENCHMARK_WEIGHT, age_days=60),
        PatternRow("client", 6, 96, CLIENT_WEIGHT, age_days=60),
    ]
    posterior = pattern_posterior(rows, half_life_days=60)
    assert (posterior.alpha, posterior.beta) == (pytest.approx(56), pytest.approx(1046))
    split = evidence_split(rows, half_life_days=60)
    assert split["benchmark"] == pytest.approx(1000)
    assert split["client"] == pytest.approx(100)
    assert split["benchmark_share"] == pytest.approx(1000 / 1100)


def test_without_decay_the_design_weights_apply() -> None:
    rows = [PatternRow("benchmark", 51, 951, 2.0, 400), PatternRow("client", 6, 96, 1.0)]
    posterior = pattern_posterior(rows, half_life_days=None)
    assert (posterior.alpha, posterior.beta) == (pytest.approx(106), pytest.approx(1996))
    assert pattern_posterior([], 30) == BetaPosterior(1.0, 1.0)
    assert evidence_split([], 30) == {
        "benchmark": 0.0,
        "client": 0.0,
        "benchmark_share": 0.0,
        "benchmark_credibility": 1.0,
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"source": "market"}, "source"),
        ({"alpha": 0.5}, "alpha"),
        ({"weight": -1.0}, "weight"),
        ({"age_days": -1.0}, "age_days"),
        ({"age_days": math.nan}, "age_days"),
    ],
)
def test_invalid_rows_are_refused(kwargs: dict[str, object], field: str) -> None:
    row: dict[str, object] = {"source": "client", "alpha": 2.0, "beta": 3.0, "weight": 1.0, "age_days": 0.0}
    with pytest.raises(InvalidEvidence, match=field):
        PatternRow(**(row | kwargs))  # type: ignore[arg-type]


def test_same_seed_same_draws_and_rank_follows_draws() -> None:
    posteriors = [BetaPosterior(3, 5), BetaPosterior(4, 4), BetaPosterior(30, 70)]
    first = thompson_draw(posteriors, np.random.default_rng(42))
    again = thompson_draw(posteriors, np.random.default_rng(42))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, thompson_draw(posteriors, np.random.default_rng(43)))
    rank = thompson_rank(posteriors, np.random.default_rng(42))
    assert rank == sorted(range(3), key=lambda i: -first[i])
    p1 = probability_best(posteriors, np.random.default_rng(5), draws=1000)
    assert np.array_equal(p1, probability_best(posteriors, np.random.default_rng(5), draws=1000))
    with pytest.raises(ValueError):
        thompson_draw([], np.random.default_rng(0))


def test_closed_form_p_greater_is_right_on_a_case_by_hand() -> None:
    # Beta(1,1) vs Beta(1,1) is a coin flip; Beta(2,1) (density 2x) beats a uniform with P = ∫2x·x = 2/3
    assert p_greater(1, 1, 1, 1) == pytest.approx(0.5)
    assert p_greater(2, 1, 1, 1) == pytest.approx(2 / 3)


@pytest.mark.parametrize(("a1", "b1", "a2", "b2"), [(3, 5, 4, 4), (12, 88, 9, 91), (1, 1, 2, 2)])
def test_probability_best_of_two_matches_the_closed_form(a1: int, b1: int, a2: int, b2: int) -> None:
    draws = 200_000
    p = probability_best([BetaPosterior(a1, b1), BetaPosterior(a2, b2)], np.random.default_rng(1), draws)
    expected = p_greater(a1, b1, a2, b2)
    standard_error = math.sqrt(expected * (1 - expected) / draws)
    assert p[0] == pytest.approx(expected, abs=5 * standard_error)
    assert p.sum() == pytest.approx(1.0)


def test_probability_best_sums_to_one_and_favours_the_strong_arm() -> None:
    posteriors = [BetaPosterior(1 + 50, 1 + 950), BetaPosterior(1 + 5, 1 + 95), BetaPosterior(1, 1)]
    p = probability_best(posteriors, np.random.default_rng(0))
    assert p.shape == (3,) and p.sum() == pytest.approx(1.0) and (p >= 0).all()
    assert probability_best([BetaPosterior(2, 2)], np.random.default_rng(0), draws=10).tolist() == [1.0]


def test_credible_interval_closed_forms() -> None:
    assert credible_interval(BetaPosterior(1, 1)) == (pytest.approx(0.025), pytest.approx(0.975))
    # Beta(a, 1) has CDF x^a and Beta(1, b) has CDF 1 − (1 − x)^b
    assert credible_interval(BetaPosterior(4, 1), 0.9) == (pytest.approx(0.05**0.25), pytest.approx(0.95**0.25))
    low, high = credible_interval(BetaPosterior(1, 7))
    assert (low, high) == (pytest.approx(1 - 0.975 ** (1 / 7)), pytest.approx(1 - 0.025 ** (1 / 7)))
    assert beta_cdf(0.3, 2, 2) == pytest.approx(3 * 0.3**2 - 2 * 0.3**3)
    assert beta_cdf(0.2, 7.5, 3.25) == pytest.approx(1 - beta_cdf(0.8, 3.25, 7.5))


def test_credible_interval_of_the_seed_prior() -> None:
    # reference: trapezoid quadrature of the density on 2·10^6 points, matched by 10^8 Monte Carlo draws to 2e-6
    low, high = credible_interval(BetaPosterior(51, 951))
    assert low == pytest.approx(0.0381668336, abs=1e-9)
    assert high == pytest.approx(0.0653256937, abs=1e-9)
    samples = np.random.default_rng(11).beta(51, 951, 10**6)
    assert np.quantile(samples, [0.025, 0.975]) == pytest.approx([low, high], abs=6e-5)


def test_credible_interval_of_a_large_posterior_is_tight_around_the_mean() -> None:
    posterior = BetaPosterior(1 + 2_000, 1 + 98_000)
    low, high = credible_interval(posterior)
    sd = math.sqrt(posterior.mean * (1 - posterior.mean) / (posterior.alpha + posterior.beta + 1))
    # a Beta this large is nearly normal: the interval is about mean ± 1.96 sd
    assert low == pytest.approx(posterior.mean - 1.96 * sd, rel=2e-3)
    assert high == pytest.approx(posterior.mean + 1.96 * sd, rel=2e-3)
    assert beta_quantile(0.0, 3, 4) == 0.0 and beta_quantile(1.0, 3, 4) == 1.0
    with pytest.raises(ValueError, match="level"):
        credible_interval(posterior, 1.0)


def test_split_budget_by_hand() -> None:
    # floor 10 % each of 1,000 = 100; the other 700 split 0.5/0.3/0.2 → 450, 310, 240
    assert split_budget(1000, [0.5, 0.3, 0.2], 0.1) == [450, 310, 240]
    # 100 / 3 leaves one cent: it goes to the lowest index among equal remainders
    assert split_budget(100, [1 / 3, 1 / 3, 1 / 3], 0.0) == [34, 33, 33]


@pytest.mark.parametrize(
    ("total", "p_best", "min_share", "expected"),
    [
        (0, [0.7, 0.3], 0.1, [0, 0]),
        (999, [0.2], 0.5, [999]),
        (10, [0.0, 0.0, 0.0], 0.1, [4, 3, 3]),
        (10, [0.9, 0.1], 0.6, [5, 5]),  # floors over 100 %: an even split
        (7, [1.0, 0.0], 0.0, [7, 0]),
    ],
)
def test_split_budget_edge_cases(total: int, p_best: list[float], min_share: float, expected: list[int]) -> None:
    assert split_budget(total, p_best, min_share) == expected


def test_split_budget_refuses_bad_input() -> None:
    for args in [(-1, [1.0], 0.0), (10, [], 0.0), (10, [-0.1, 1.1], 0.0), (10, [1.0], 1.5), (10, [math.nan], 0)]:
        with pytest.raises(ValueError):
            split_budget(*args)


@given(
    total=st.integers(min_value=0, max_value=10**9),
    p_best=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=12),
    min_share=st.floats(min_value=0, max_value=0.2),
)
def test_split_budget_properties(total: int, p_best: list[float], min_share: float) -> None:
    cents = split_budget(total, p_best, min_share)
    assert sum(cents) == total and all(isinstance(c, int) for c in cents)
    if len(p_best) * min_share <= 1:
        assert min(cents) >= math.floor(min_share * total)
    if len(p_best) * Fraction(repr(min_share)) >= 1:
        return  # the floors take the whole budget: an even split, checked above
    # monotone: a strictly likelier arm never gets less
    for i, p_i in enumerate(p_best):
        for j, p_j in enumerate(p_best):
            if p_i > p_j:
                assert cents[i] >= cents[j]
