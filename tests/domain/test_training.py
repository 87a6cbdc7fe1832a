import math

import numpy as np
import pytest

from domain.platforms import Platform
from domain.rules import ClipFeatures, Weights, default_weights, evaluate_clip
from domain.training import (
    FIT_TERMS,
    Observation,
    fit_logistic,
    heldout_score,
    rule_totals,
    term_matrix,
    train_platform,
    weights_from_coefficients,
)

PLATFORM: Platform = "tiktok"
# distinct sizes, one term without effect: what training should find again
KNOWN = Weights(
    1,
    {
        "aspect_fit": 3.0,
        "duration_fit": 0.5,
        "resolution": 0.0,
        "audio": 2.0,
        "pacing": 1.0,
        "dynamic_start": 2.5,
        "face_early": 0.25,
        "loudness": 1.5,
        "expected_cvr": 2.0,
    },
)
# the opposite emphasis: what a bad current table looks like
BAD = Weights(3, {"aspect_fit": 0.1, "resolution": 5.0, "face_early": 4.0, "duration_fit": 3.0, "expected_cvr": 2.0})


def random_clip(rng: np.random.Generator) -> ClipFeatures:
    """A clip whose every feature term varies: shape, length, size, sound, cuts, start, face, loudness."""
    short = int(rng.choice([480, 720, 1080]))
    long = int(short * rng.choice([16 / 9, 4 / 3, 1.0]))
    vertical = rng.random() < 0.6
    has_audio = bool(rng.random() < 0.7)
    return ClipFeatures(
        duration_s=float(rng.uniform(3.0, 70.0)),
        width=short if vertical else long,
        height=long if vertical else short,
        has_audio=has_audio,
        cuts_per_5s=float(rng.uniform(0.0, 8.0)),
        dynamic_start=bool(rng.random() < 0.5),
        face_in_first_seconds=[True, False, None][int(rng.integers(3))],
        loudness_lufs=float(rng.normal(-14.0, 8.0)) if rng.random() < 0.8 else None,
    )


def simulate(
    weights: Weights, n: int, clicks: int, seed: int, intercept: float = -5.0, slope: float = 4.0
) -> list[Observation]:
    """Clips whose conversion probability is σ(intercept + slope·total) under the given weights."""
    rng = np.random.default_rng(seed)
    clips = [random_clip(rng) for _ in range(n)]
    totals = np.array([evaluate_clip(c, PLATFORM, weights).total for c in clips])
    p = 1.0 / (1.0 + np.exp(-(intercept + slope * totals)))
    return [Observation(c, clicks, int(conv)) for c, conv in zip(clips, rng.binomial(clicks, p), strict=True)]


def fitted(weights: Weights) -> np.ndarray:
    return np.array([weights.terms.get(name, 0.0) for name in FIT_TERMS])


def test_term_matrix_holds_expected_cvr_neutral_and_totals_match_the_engine() -> None:
    observations = simulate(KNOWN, 50, 10, seed=1)
    terms = term_matrix(observations, PLATFORM)
    assert terms.shape == (50, 9)
    assert np.all(terms[:, -1] == 0.5)
    for weights in (KNOWN, BAD, default_weights(PLATFORM)):
        engine = [evaluate_clip(obs.features, PLATFORM, weights).total for obs in observations]
        assert rule_totals(terms, weights) == pytest.approx(engine, abs=1e-12)


def test_fit_logistic_recovers_a_known_model_and_skips_rows_without_clicks() -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 3))
    clicks = rng.integers(0, 500, size=400)
    p = 1.0 / (1.0 + np.exp(-(-2.0 + X @ np.array([1.0, -0.5, 0.0]))))
    conversions = rng.binomial(clicks, p)
    coef, intercept = fit_logistic(X, clicks, conversions, l2=1.0)
    assert coef == pytest.approx([1.0, -0.5, 0.0], abs=0.05)
    assert intercept == pytest.approx(-2.0, abs=0.05)
    X[clicks == 0] = 1e6  # never looked at
    assert fit_logistic(X, clicks, conversions, l2=1.0)[0] == pytest.approx(coef)


def test_fit_logistic_stays_finite_on_separable_and_all_or_nothing_data() -> None:
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    coef, intercept = fit_logistic(X, [10, 10, 10, 10], [0, 0, 10, 10], l2=1.0)
    assert math.isfinite(intercept) and coef[0] > 2
    coef, intercept = fit_logistic(X, [10, 10, 10, 10], [0, 0, 0, 0], l2=1.0)
    assert math.isfinite(intercept) and intercept < -5
    with pytest.raises(ValueError, match="positive"):
        fit_logistic(X, [1, 1, 1, 1], [0, 0, 0, 0], l2=0.0)
    with pytest.raises(ValueError, match="conversions"):
        fit_logistic(X, [1, 1, 1, 1], [2, 0, 0, 0], l2=1.0)


def test_weights_from_coefficients_zeroes_harm_keeps_the_sum_and_unfitted_terms() -> None:
    current = default_weights("youtube")
    coef = np.array([2.0, 1.0, -3.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    new = weights_from_coefficients(coef, current)
    assert new.version == current.version + 1
    assert new.terms["expected_cvr"] == current.terms["expected_cvr"]
    assert new.terms["resolution"] == 0.0
    assert sum(fitted(new)) == pytest.approx(sum(fitted(current)))
    assert new.terms["aspect_fit"] == pytest.approx(2 * new.terms["duration_fit"])
    with pytest.raises(ValueError, match="positive effect"):
        weights_from_coefficients(-np.ones(8), current)
    with pytest.raises(ValueError, match="finite"):
        weights_from_coefficients(np.ones(3), current)


def test_training_recovers_known_weights_and_beats_a_bad_table() -> None:
    observations = simulate(KNOWN, 600, 3000, seed=11)
    result = train_platform(observations, PLATFORM, BAD, np.random.default_rng(0))
    assert result.improved, result.reason
    assert result.candidate is not None and result.candidate.version == BAD.version + 1
    assert result.candidate.terms["expected_cvr"] == BAD.terms["expected_cvr"]
    truth, found = fitted(KNOWN), fitted(result.candidate)
    assert np.corrcoef(truth, found)[0, 1] > 0.95
    # the same ranking of the three strongest terms, and the no-effect term near zero
    assert list(np.argsort(-found)[:3]) == list(np.argsort(-truth)[:3])
    assert result.candidate.terms["resolution"] < 0.1 * max(found)
    assert result.candidate_score is not None and result.current_score is not None
    assert result.candidate_score > result.current_score
    assert (result.n_train, result.n_test) == (420, 180)
    assert "beat current" in result.reason and "did not" not in result.reason


def test_the_generating_weights_score_best_on_held_out_data() -> None:
    train, test = simulate(KNOWN, 300, 2000, seed=2), simulate(KNOWN, 300, 2000, seed=3)
    # a rescaled table ranks the same, so the calibration makes it score the same
    doubled = Weights(2, {name: 2 * w for name, w in KNOWN.terms.items()})
    known = heldout_score(KNOWN, test, PLATFORM, train)
    assert heldout_score(doubled, test, PLATFORM, train) == pytest.approx(known)
    assert known > heldout_score(BAD, test, PLATFORM, train)
    assert known > heldout_score(default_weights(PLATFORM), test, PLATFORM, train)


def test_a_worse_fit_is_refused() -> None:
    observations = simulate(KNOWN, 400, 3000, seed=5)
    # heavy ridge flattens the candidate toward plain covariances: worse than the truth it was fitted on
    flattened = train_platform(observations, PLATFORM, KNOWN, np.random.default_rng(0), l2=1e7)
    assert not flattened.improved
    assert flattened.candidate_score is not None and flattened.current_score is not None
    assert flattened.candidate_score < flattened.current_score
    assert "did not beat" in flattened.reason
    # a good fit only matches the truth, so a required margin refuses it
    matched = train_platform(observations, PLATFORM, KNOWN, np.random.default_rng(0), min_improvement=1e-3)
    assert not matched.improved
    assert "by more than 0.001" in matched.reason


def test_insufficient_data_is_refused_without_a_candidate() -> None:
    rng = np.random.default_rng(0)
    few = train_platform(simulate(KNOWN, 12, 1000, seed=1), PLATFORM, KNOWN, rng)
    assert few.reason == "too few observations (12 < 30)"
    assert few.candidate is None and not few.improved
    # rows without clicks do not count
    idle = [Observation(random_clip(rng), 0, 0) for _ in range(40)]
    assert train_platform(idle, PLATFORM, KNOWN, rng).reason == "too few observations (0 < 30)"
    thin = train_platform(simulate(KNOWN, 40, 10, seed=1), PLATFORM, KNOWN, rng)
    assert thin.reason == "too few clicks (400 < 1000)"
    nothing = [Observation(random_clip(rng), 100, 0) for _ in range(40)]
    assert "all-or-nothing" in train_platform(nothing, PLATFORM, KNOWN, rng).reason


def test_training_is_deterministic_given_the_seed() -> None:
    observations = simulate(KNOWN, 200, 1000, seed=9)
    first = train_platform(observations, PLATFORM, BAD, np.random.default_rng(42))
    again = train_platform(observations, PLATFORM, BAD, np.random.default_rng(42))
    other = train_platform(observations, PLATFORM, BAD, np.random.default_rng(43))
    assert first == again
    assert first.candidate_score != other.candidate_score


def test_invalid_observations_are_refused() -> None:
    clip = random_clip(np.random.default_rng(0))
    with pytest.raises(ValueError, match="conversions"):
        Observation(clip, 10, 11)
    with pytest.raises(ValueError, match="conversions"):
        Observation(clip, -1, 0)
