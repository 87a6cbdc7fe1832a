import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.bandit import PatternRow, evidence_split, pattern_posterior_decayed
from domain.conflict import CREDIBILITY_GRID, benchmark_credibility, log_beta, log_gamma


def client_log_likelihood(delta: float, bench: tuple[float, float], client: tuple[float, float]) -> float:
    """Beta-Binomial log likelihood of the client's counts under the δ-scaled benchmark, with math.lgamma."""

    def ln_beta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    a, b = 1 + delta * bench[0], 1 + delta * bench[1]
    return ln_beta(a + client[0], b + client[1]) - ln_beta(a, b)


def test_log_gamma_matches_the_standard_library_from_tiny_to_huge() -> None:
    xs = np.concatenate([np.linspace(1e-4, 20, 4001), np.geomspace(20, 1e9, 500)])
    expected = np.array([math.lgamma(x) for x in xs])
    assert np.allclose(log_gamma(xs), expected, rtol=1e-11, atol=1e-10)
    assert log_beta(np.array(2.0), np.array(3.0)) == pytest.approx(math.log(1 / 12))  # B(2, 3) = 1!·2!/4!


def test_without_client_data_the_benchmark_keeps_full_weight() -> None:
    assert benchmark_credibility(50, 950, 0, 0) == 1.0
    assert np.array_equal(benchmark_credibility(np.array([0.0, 50, 5000]), 950, 0, 0), [1.0, 1.0, 1.0])


def test_client_data_that_agrees_keeps_full_weight() -> None:
    # the market says 5 % over 1,000 pseudo-clicks; the client converts 25 of 500
    assert benchmark_credibility(50, 950, 25, 475) == 1.0


def test_client_data_that_contradicts_cuts_the_weight_to_its_best_explanation() -> None:
    # the market says 6 %; the client sees 3 of 300 (1 %): the benchmark mostly stops counting
    delta = float(benchmark_credibility(60, 940, 3, 297))
    assert delta <= 0.1
    likelihoods = [client_log_likelihood(float(d), (60, 940), (3, 297)) for d in CREDIBILITY_GRID]
    assert client_log_likelihood(delta, (60, 940), (3, 297)) == pytest.approx(max(likelihoods), abs=1e-6)
    assert client_log_likelihood(delta, (60, 940), (3, 297)) > client_log_likelihood(1.0, (60, 940), (3, 297)) + 3


@given(
    st.floats(0.005, 0.2),
    st.floats(100, 5000),
    st.integers(0, 2000),
    st.floats(0.0, 0.3),
)
def test_the_chosen_credibility_is_the_grids_most_likely(
    rate: float, strength: float, clicks: int, seen: float
) -> None:
    bench = (rate * strength, (1 - rate) * strength)
    client = (round(seen * clicks), clicks - round(seen * clicks))
    delta = float(benchmark_credibility(*bench, *client))
    assert delta in CREDIBILITY_GRID
    best = max(client_log_likelihood(float(d), bench, client) for d in CREDIBILITY_GRID)
    assert client_log_likelihood(delta, bench, client) >= best - 1e-5


def test_more_contradicting_data_never_restores_trust() -> None:
    deltas = [float(benchmark_credibility(60, 940, n // 100, n - n // 100)) for n in (0, 100, 300, 1000, 3000)]
    assert deltas[0] == 1.0
    assert deltas == sorted(deltas, reverse=True)
    assert deltas[-1] <= 0.02


def test_a_contradicted_benchmark_row_counts_for_less_in_the_posterior() -> None:
    rows = [PatternRow("benchmark", 61, 941, 1.0), PatternRow("client", 4, 298, 1.0)]
    plain = pattern_posterior_decayed(rows, None, discount_conflicts=False)
    assert (plain.alpha, plain.beta) == (pytest.approx(64), pytest.approx(1238))
    delta = float(benchmark_credibility(60, 940, 3, 297))
    discounted = pattern_posterior_decayed(rows, None)
    assert discounted.alpha == pytest.approx(1 + 60 * delta + 3)
    assert discounted.beta == pytest.approx(1 + 940 * delta + 297)
    assert abs(discounted.mean - 0.01) < abs(plain.mean - 0.01)
    split = evidence_split(rows, None)
    assert split["benchmark_credibility"] == delta
    assert split["benchmark"] == pytest.approx(1000 * delta)
    assert split["client"] == pytest.approx(300)
