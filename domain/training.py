"""Rule-engine training: fit a platform's term weights to observed conversions; keep them only if they beat the old."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain.platforms import Platform, platform_spec
from domain.rules import FEATURE_TERMS, NEUTRAL, TERMS, ClipFeatures, Weights

FloatArray = npt.NDArray[np.float64]
# a term matrix with its clicks and conversions per row
Arrays = tuple[FloatArray, FloatArray, FloatArray]

# expected_cvr is driven by a pattern's posterior, not by the clip, so it is not fitted and keeps its current weight
FIT_TERMS: tuple[str, ...] = tuple(FEATURE_TERMS)
_FIT_COLUMNS = [TERMS.index(name) for name in FIT_TERMS]
# a whisper of ridge on the intercept, so all-or-nothing conversions give a finite fit instead of diverging
INTERCEPT_L2 = 1e-6
# the calibration has one slope; a light ridge only guards against a constant total
CALIBRATION_L2 = 1e-3
MIN_OBSERVATIONS = 30
MIN_CLICKS = 1000


@dataclass(frozen=True)
class Observation:
    """A campaign's clip and its results on one platform."""

    features: ClipFeatures
    clicks: int
    conversions: int

    def __post_init__(self) -> None:
        if self.clicks < 0 or not 0 <= self.conversions <= self.clicks:
            raise ValueError("need 0 <= conversions <= clicks")


@dataclass(frozen=True)
class TrainingResult:
    """The fitted candidate (None when nothing was fitted); store it only when improved."""

    candidate: Weights | None
    current_score: float | None
    candidate_score: float | None
    improved: bool
    n_train: int
    n_test: int
    reason: str


def term_matrix(observations: Sequence[Observation], platform: Platform) -> FloatArray:
    """n × len(TERMS) term values per clip, in TERMS order; expected_cvr held at its neutral 0.5."""
    spec = platform_spec(platform)
    rows = [
        [FEATURE_TERMS[name](obs.features, spec) if name in FEATURE_TERMS else NEUTRAL for name in TERMS]
        for obs in observations
    ]
    return np.asarray(rows, dtype=np.float64).reshape(len(observations), len(TERMS))


def fit_logistic(
    X: FloatArray,
    clicks: npt.ArrayLike,
    conversions: npt.ArrayLike,
    l2: float,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[FloatArray, float]:
    """Binomial logistic regression (conversions of clicks per row), ridge l2 on coef; Newton with line search."""
    if not (math.isfinite(l2) and l2 > 0):
        raise ValueError("l2 must be a positive finite number")
    X = np.asarray(X, dtype=np.float64)
    n = np.asarray(clicks, dtype=np.float64)
    y = np.asarray(conversions, dtype=np.float64)
    if X.ndim != 2 or n.shape != (X.shape[0],) or y.shape != n.shape:
        raise ValueError("X must be n × k with one clicks and one conversions count per row")
    if np.any(n < 0) or np.any(y < 0) or np.any(y > n):
        raise ValueError("need 0 <= conversions <= clicks")
    # a row without clicks carries no information about the rate
    keep = n > 0
    if not keep.any():
        raise ValueError("no row has clicks")
    design = np.hstack([np.ones((int(keep.sum()), 1)), X[keep]])
    n, y = n[keep], y[keep]
    penalty = np.full(design.shape[1], l2)
    penalty[0] = INTERCEPT_L2
    # start at the pooled rate so the first Newton step is already sensible
    pooled = (y.sum() + 0.5) / (n.sum() + 1.0)
    beta = np.zeros(design.shape[1])
    beta[0] = math.log(pooled / (1 - pooled))

    def objective(b: FloatArray) -> float:
        eta = design @ b
        return float(np.sum(n * np.logaddexp(0.0, eta) - y * eta) + 0.5 * np.sum(penalty * b * b))

    value = objective(beta)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (n * p - y) + penalty * beta
        hessian = (design.T * (n * p * (1 - p))) @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        decrement = float(gradient @ step)
        if decrement / 2 <= tol * (1.0 + abs(value)):
            break
        # backtracking keeps the objective falling where Newton overshoots (near-separable data)
        t = 1.0
        while t > 1e-10:
            trial = beta - t * step
            trial_value = objective(trial)
            if trial_value <= value - 0.25 * t * decrement:
                break
            t *= 0.5
        else:
            break
        beta, value = trial, trial_value
    return beta[1:].copy(), float(beta[0])


def weights_from_coefficients(coef: npt.ArrayLike, current: Weights) -> Weights:
    """Non-negative weights ∝ coef over FIT_TERMS, summing like current's; other terms and their weights kept."""
    values = np.asarray(coef, dtype=np.float64)
    if values.shape != (len(FIT_TERMS),) or not np.all(np.isfinite(values)):
        raise ValueError(f"need {len(FIT_TERMS)} finite coefficients, one per term of {FIT_TERMS}")
    # a term that hurts conversion gets no weight: the total only rewards
    positive = np.maximum(values, 0.0)
    if positive.sum() <= 0:
        raise ValueError("no term has a positive effect on conversion")
    # the same sum as now keeps totals comparable and expected_cvr's share of them unchanged
    target = sum(current.terms.get(name, 0.0) for name in FIT_TERMS) or float(len(FIT_TERMS))
    scaled = positive * (target / positive.sum())
    kept = {name: w for name, w in current.terms.items() if name not in FIT_TERMS}
    return Weights(current.version + 1, {**kept, **dict(zip(FIT_TERMS, scaled.tolist(), strict=True))})


def rule_totals(terms: FloatArray, weights: Weights) -> FloatArray:
    """evaluate_clip's total for each row of a term_matrix."""
    w = np.array([weights.terms.get(name, 0.0) for name in TERMS])
    w = w / w.max()
    return np.clip(terms @ w / w.sum(), 0.0, 1.0)


def heldout_score(
    weights: Weights,
    observations_test: Sequence[Observation],
    platform: Platform,
    calib_train: Sequence[Observation],
) -> float:
    """Held-out mean log-likelihood per click of the rule total, calibrated on calib_train (higher is better)."""
    train, test = _arrays(calib_train, platform), _arrays(observations_test, platform)
    return _score(weights, train, test)


def train_platform(
    observations: Sequence[Observation],
    platform: Platform,
    current: Weights,
    rng: np.random.Generator,
    l2: float = 1.0,
    test_fraction: float = 0.3,
    min_observations: int = MIN_OBSERVATIONS,
    min_clicks: int = MIN_CLICKS,
    min_improvement: float = 0.0,
) -> TrainingResult:
    """Fit on a random split, score candidate and current on the rest; improved only if better by min_improvement."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be in (0, 1)")
    used = [obs for obs in observations if obs.clicks > 0]
    clicks = sum(obs.clicks for obs in used)
    conversions = sum(obs.conversions for obs in used)
    if len(used) < min_observations:
        return _refused(f"too few observations ({len(used)} < {min_observations})")
    if clicks < min_clicks:
        return _refused(f"too few clicks ({clicks} < {min_clicks})")
    if conversions == 0 or conversions == clicks:
        return _refused("conversion rate is all-or-nothing; nothing to learn")
    order = rng.permutation(len(used))
    n_test = max(1, round(len(used) * test_fraction))
    n_train = len(used) - n_test
    everything = _arrays(used, platform)
    test, train = _take(everything, order[:n_test]), _take(everything, order[n_test:])
    coef, _ = fit_logistic(train[0][:, _FIT_COLUMNS], train[1], train[2], l2)
    try:
        candidate = weights_from_coefficients(coef, current)
    except ValueError as error:
        return _refused(f"no candidate: {error}", n_train, n_test)
    current_score = _score(current, train, test)
    candidate_score = _score(candidate, train, test)
    improved = candidate_score > current_score + min_improvement
    verdict = "beat" if improved else "did not beat"
    margin = f" by more than {min_improvement:g}" if min_improvement else ""
    return TrainingResult(
        candidate=candidate,
        current_score=current_score,
        candidate_score=candidate_score,
        improved=improved,
        n_train=n_train,
        n_test=n_test,
        reason=(
            f"candidate {verdict} current on held-out data{margin} "
            f"({candidate_score:.6f} vs {current_score:.6f} log-likelihood per click)"
        ),
    )


def _arrays(observations: Sequence[Observation], platform: Platform) -> Arrays:
    """Term matrix, clicks and conversions as arrays."""
    clicks = np.array([obs.clicks for obs in observations], dtype=np.float64)
    conversions = np.array([obs.conversions for obs in observations], dtype=np.float64)
    return term_matrix(observations, platform), clicks, conversions


def _take(arrays: Arrays, rows: npt.NDArray[np.intp]) -> Arrays:
    """The given rows of each array."""
    return arrays[0][rows], arrays[1][rows], arrays[2][rows]


def _score(weights: Weights, train: Arrays, test: Arrays) -> float:
    """Calibrate P(convert) = σ(a + b·total) on train, b ≥ 0; mean binomial log-likelihood per test click."""
    train_totals = rule_totals(train[0], weights)[:, None]
    slope, intercept = fit_logistic(train_totals, train[1], train[2], CALIBRATION_L2)
    if slope[0] < 0:
        # the engine picks the highest total, so an inverted ranking must not be rescued by a negative slope
        slope, intercept = fit_logistic(np.zeros_like(train_totals), train[1], train[2], CALIBRATION_L2)
    eta = intercept + slope[0] * rule_totals(test[0], weights)
    _, clicks, conversions = test
    if clicks.sum() <= 0:
        raise ValueError("no held-out clicks to score on")
    # the log binomial coefficient is the same for every weight set, so it is left out
    loglik = conversions * eta - clicks * np.logaddexp(0.0, eta)
    return float(loglik.sum() / clicks.sum())


def _refused(reason: str, n_train: int = 0, n_test: int = 0) -> TrainingResult:
    """A result that stores nothing."""
    return TrainingResult(None, None, None, False, n_train, n_test, reason)
