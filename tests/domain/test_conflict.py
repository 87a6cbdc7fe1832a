import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.conflict import CREDIBILITY_GRID, REJECT_NATS, benchmark_credibility, log_beta, log_gamma
from domain.posterior import PatternRow, evidence_split, pattern_posterior


def client_log_likelihood(delta: float, bench: tuple[float, float], client: tuple[float, float]) -> float:
    """Beta-Binomial log likelihood of the client's counts under the δ-scaled benchmark, with math.lgamma."""

    def ln_beta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    a, b = 1 + delta * bench[0], 1 + delta * bench[1]
    return ln_beta(a + client[0], b + client[1]) - ln_beta(a, b)


def assert_largest_not_rejected(delta: float, bench: tuple[float, float], client: tuple[float, float]) -> None:
    """The rule by brute force: δ is within REJECT_NATS of the most likely grid value, every larger δ is not
    (1e-6 of slack for the two log-gamma implementations)."""
    likelihoods = {float(d): client_log_likelihood(float(d), bench, client) for d in CREDIBILITY_GRID}
    floor = max(likelihoods.values()) - REJECT_NATS
    assert delta in likelihoods and likelihoods[delta] >= floor - 1e-6
    assert all(value < floor + 1e-6 for d, value in likelihoods.items() if d > delta)


def test_log_gamma_matches_the_standard_library_from_tiny_to_huge() -> None:
    xs = np.concatenate([np.geomspace(1e-8, 1e-4, 50), np.linspace(1e-4, 20, 4001), np.geomspace(20, 1e12, 500)])
    expected = np.array([math.lgamma(x) for x in xs])
    assert np.allclose(log_gamma(xs), expected, rtol=1e-11, atol=1e-10)
    assert log_beta(np.array(2.0), np.array(3.0)) == pytest.approx(math.log(1 / 12))  # B(2, 3) = 1!·2!/4!


def test_without_client_data_the_benchmark_keeps_full_weight() -> None:
    assert benchmark_credibility(50, 950, 0, 0) == 1.0
    assert np.array_equal(benchmark_credibility(np.array([0.0, 50, 5000]), 950, 0, 0), [1.0, 1.0, 1.0])


def test_client_data_that_agrees_keeps_full_weight() -> None:
    # the market says 5 % over 1,000 pseudo-clicks; the client converts 25 of 500
    assert benchmark_credibility(50, 950, 25, 475) == 1.0


def test_client_data_that_contradicts_cuts_the_weight_to_what_it_does_not_reject() -> None:
    # the market says 6 %; the client sees 3 of 300 (1 %): the benchmark mostly stops counting
    delta = float(benchmark_credibility(60, 940, 3, 297))
    assert_largest_not_rejected(delta, (60, 940), (3, 297))
    assert delta <= 0.15
    likelihoods = [client_log_likelihood(float(d), (60, 940), (3, 297)) for d in CREDIBILITY_GRID]
    assert client_log_likelihood(1.0, (60, 940), (3, 297)) < max(likelihoods) - REJECT_NATS


def test_data_that_agrees_rarely_costs_the_benchmark_its_weight() -> None:
    # 2,000 clients whose 300 clicks convert at the market's own 5 %: chance streaks must not cut trust
    # (the most likely δ alone cuts it for ~30 % of them)
    rng = np.random.default_rng(11)
    conversions = rng.binomial(300, 0.05, size=2000).astype(float)
    deltas = benchmark_credibility(70.0, 1330.0, conversions, 300.0 - conversions)
    assert (deltas < 1.0).mean() <= 0.06
    assert (deltas < 0.5).mean() <= 0.03


def test_counts_must_be_finite_and_non_negative() -> None:
    for bad in (math.nan, math.inf, -1.0):
        with pytest.raises(ValueError, match="finite and non-negative"):
            benchmark_credibility(50, 950, bad, 10)


@given(
    st.floats(0.005, 0.2),
    st.floats(100, 5000),
    st.integers(0, 2000),
    st.floats(0.0, 0.3),
)
def test_the_chosen_credibility_is_the_largest_the_data_does_not_reject(
    rate: float, strength: float, clicks: int, seen: float
) -> None:
    bench = (rate * strength, (1 - rate) * strength)
    client = (round(seen * clicks), clicks - round(seen * clicks))
    assert_largest_not_rejected(float(benchmark_credibility(*bench, *client)), bench, client)


def test_more_contradicting_data_never_restores_trust() -> None:
    deltas = [float(benchmark_credibility(60, 940, n // 100, n - n // 100)) for n in (0, 100, 300, 1000, 3000)]
    assert deltas[0] == 1.0
    assert deltas == sorted(deltas, reverse=True)
    assert deltas[-1] * 1000 <= 0.05 * 3000  # what is left of the market is under 5 % of the evidence


def test_a_contradicted_benchmark_row_counts_for_less_in_the_posterior() -> None:
    rows = [PatternRow("benchmark", 61, 941, 1.0), PatternRow("client", 4, 298, 1.0)]
    plain = pattern_posterior(rows, None, discount_conflicts=False)
    assert (plain.alpha, plain.beta) == (pytest.approx(64), pytest.approx(1238))
    delta = float(benchmark_credibility(60, 940, 3, 297))
    discounted = pattern_posterior(rows, None)
    assert discounted.alpha == pytest.approx(1 + 60 * delta + 3)
    assert discounted.beta == pytest.approx(1 + 940 * delta + 297)
    assert abs(discounted.mean - 0.01) < abs(plain.mean - 0.01)
    split = evidence_split(rows, None)
    assert split["benchmark_credibility"] == delta
    assert split["benchmark"] == pytest.approx(1000 * delta)
    assert split["client"] == pytest.approx(300)
