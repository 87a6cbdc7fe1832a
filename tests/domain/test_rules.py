import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.platforms import PLATFORM_SPECS, PLATFORMS, Platform, UnknownPlatform, parse_platform
from domain.posterior import BetaPosterior
from domain.rules import (
    DEFAULT_WEIGHTS,
    TERMS,
    ClipFeatures,
    Score,
    Weights,
    audio,
    best_of,
    default_weights,
    duration_fit,
    evaluate_clip,
    expected_cvr_fit,
    loudness,
    pacing,
)


def clip(**changes: Any) -> ClipFeatures:
    """A good TikTok clip: 12 s, 1080×1920, sound at -14 LUFS, 3 cuts per 5 s, a moving start, a face."""
    base: dict[str, Any] = {
        "duration_s": 12.0,
        "width": 1080,
        "height": 1920,
        "has_audio": True,
        "cuts_per_5s": 3.0,
        "dynamic_start": True,
        "face_in_first_seconds": True,
        "loudness_lufs": -14.0,
    }
    return ClipFeatures(**(base | changes))


def score(features: ClipFeatures, platform: Platform) -> Score:
    return evaluate_clip(features, platform, default_weights(platform))


def test_a_vertical_clip_beats_a_landscape_one_on_tiktok() -> None:
    vertical = score(clip(), "tiktok")
    landscape = score(clip(width=1920, height=1080), "tiktok")
    assert vertical.breakdown["aspect_fit"] == 1.0
    assert landscape.breakdown["aspect_fit"] == 0.0
    assert vertical.total > landscape.total
    assert 0.0 < score(clip(width=1080, height=1080), "tiktok").breakdown["aspect_fit"] < 1.0


def test_seventy_seconds_is_past_tiktoks_limit_but_not_instagrams() -> None:
    long = clip(duration_s=70.0)
    assert duration_fit(long, PLATFORM_SPECS["tiktok"]) == 0.0
    assert duration_fit(long, PLATFORM_SPECS["instagram"]) > 0.0
    # past the hard limit it is still scored: the selector decides
    assert 0.0 < score(long, "tiktok").total < 1.0


@pytest.mark.parametrize(
    ("platform", "seconds", "expected"),
    [
        ("tiktok", 12.0, 1.0),
        ("tiktok", 4.5, 0.5),  # half of the 9 s suggested minimum
        ("tiktok", 37.5, 0.5),  # halfway from 15 s to 60 s
        ("tiktok", 60.0, 0.0),
        ("instagram", 60.0, 0.5),  # halfway from 30 s to 90 s
        ("youtube", 45.0, 1.0),
        ("youtube", 60.0, 1 - 15 / 135),  # all of it plays
    ],
)
def test_duration_fit(platform: Platform, seconds: float, expected: float) -> None:
    assert duration_fit(clip(duration_s=seconds), PLATFORM_SPECS[platform]) == pytest.approx(expected)


def test_youtube_loses_the_part_beyond_sixty_seconds() -> None:
    spec = PLATFORM_SPECS["youtube"]
    window_fit = 1 - (80 - 45) / (180 - 45)
    assert duration_fit(clip(duration_s=80.0), spec) == pytest.approx(window_fit * 60 / 80)
    assert duration_fit(clip(duration_s=80.0), spec) < duration_fit(clip(duration_s=60.0), spec)
    assert duration_fit(clip(duration_s=200.0), spec) == 0.0


def test_a_silent_clip_loses_on_tiktok_more_than_on_youtube() -> None:
    silent = clip(has_audio=False, loudness_lufs=None)
    assert audio(silent, PLATFORM_SPECS["tiktok"]) == 0.0
    assert audio(silent, PLATFORM_SPECS["youtube"]) == 0.5
    assert score(silent, "tiktok").total < score(clip(), "tiktok").total


@pytest.mark.parametrize(("cuts", "expected"), [(0.0, 0.0), (1.0, 0.5), (3.0, 1.0), (8.0, 0.5)])
def test_pacing_against_tiktoks_two_to_four_cuts(cuts: float, expected: float) -> None:
    assert pacing(clip(cuts_per_5s=cuts), PLATFORM_SPECS["tiktok"]) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("lufs", "has_audio", "expected"),
    [
        (-14.0, True, 1.0),
        (-11.0, True, 1.0),  # within 3 LU
        (-23.0, True, 0.5),  # 9 LU off: halfway from 3 to 15
        (-40.0, True, 0.0),
        (None, True, 0.5),
        (-40.0, False, 0.5),  # silence is the audio term's business
    ],
)
def test_loudness(lufs: float | None, has_audio: bool, expected: float) -> None:
    features = clip(loudness_lufs=lufs, has_audio=has_audio)
    assert loudness(features, PLATFORM_SPECS["tiktok"]) == pytest.approx(expected)


def test_platform_names_are_parsed_case_insensitively() -> None:
    assert parse_platform(" TikTok ") == "tiktok"
    with pytest.raises(UnknownPlatform, match="tiktok, instagram, youtube"):
        parse_platform("myspace")
    with pytest.raises(UnknownPlatform):
        evaluate_clip(clip(), "myspace", default_weights("tiktok"))  # type: ignore[arg-type]


def test_default_weights_cover_every_platform_and_term() -> None:
    assert set(DEFAULT_WEIGHTS) == set(PLATFORMS) == set(PLATFORM_SPECS)
    for platform in PLATFORMS:
        assert set(DEFAULT_WEIGHTS[platform]) == set(TERMS)
        assert default_weights(platform).version == 1
    assert DEFAULT_WEIGHTS["tiktok"]["pacing"] > DEFAULT_WEIGHTS["youtube"]["pacing"]
    assert DEFAULT_WEIGHTS["youtube"]["duration_fit"] > DEFAULT_WEIGHTS["tiktok"]["duration_fit"]


@pytest.mark.parametrize(
    ("version", "terms", "message"),
    [
        (1, {"pacing": -0.1}, "non-negative"),
        (1, {"pacing": float("nan")}, "non-negative"),
        (1, {"pacin": 1.0}, "unknown weight terms"),
        (1, {"pacing": 0.0}, "positive"),
        (1, {}, "positive"),
        (0, {"pacing": 1.0}, "version"),
    ],
)
def test_invalid_weights_are_refused(version: int, terms: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Weights(version, terms)


def test_a_missing_weight_is_zero_and_the_score_records_its_versions() -> None:
    result = evaluate_clip(clip(width=1920, height=1080), "tiktok", Weights(7, {"pacing": 1.0}))
    assert result.total == 1.0  # the landscape shape weighs nothing here
    assert result.breakdown["aspect_fit"] == 0.0
    assert (result.weights_version, result.spec_version, result.platform) == (7, "2025-01", "tiktok")
    # a subnormal weight alone still gives its term's value, not an underflowed 0
    assert evaluate_clip(clip(width=360, height=360), "tiktok", Weights(1, {"resolution": 5e-324})).total == 0.5


def test_invalid_features_are_refused() -> None:
    for bad in ({"duration_s": 0}, {"width": 0}, {"cuts_per_5s": -1}, {"loudness_lufs": float("nan")}):
        with pytest.raises(ValidationError):
            clip(**bad)
    assert clip(width=1080, height=1920).aspect_ratio == pytest.approx(9 / 16)


def test_unknowns_are_neutral_and_a_posterior_needs_a_baseline() -> None:
    assert expected_cvr_fit(None, None) == 0.5
    assert score(clip(face_in_first_seconds=None), "tiktok").breakdown["face_early"] == 0.5
    assert expected_cvr_fit(BetaPosterior(1, 1), 0.05) == 0.5
    with pytest.raises(ValueError, match="baseline_cvr"):
        expected_cvr_fit(BetaPosterior(11, 191), None)


def test_weak_evidence_stays_near_neutral() -> None:
    # the same 10 % CVR against a 5 % baseline, from 20 and from 20,000 pseudo-clicks
    weak = expected_cvr_fit(BetaPosterior(2.2, 19.8), 0.05)
    strong = expected_cvr_fit(BetaPosterior(2000.2, 18001.8), 0.05)
    assert 0.5 < weak < strong < 2 / 3  # 10 % / (10 % + 5 %) at infinite strength


def test_evidence_moves_the_total() -> None:
    good, bad = BetaPosterior(101, 901), BetaPosterior(11, 991)
    weights = default_weights("instagram")
    with_good, with_bad = (evaluate_clip(clip(), "instagram", weights, p, 0.05) for p in (good, bad))
    assert with_good.total > with_bad.total


cvr = st.floats(min_value=1e-4, max_value=1 - 1e-4)


@given(mean_a=cvr, mean_b=cvr, strength=st.floats(min_value=0, max_value=1e5), baseline=cvr)
def test_expected_cvr_is_monotone_in_the_posterior_mean(
    mean_a: float, mean_b: float, strength: float, baseline: float
) -> None:
    low, high = sorted((mean_a, mean_b))
    total = strength + 2
    fit_low = expected_cvr_fit(BetaPosterior(low * total, (1 - low) * total), baseline)
    fit_high = expected_cvr_fit(BetaPosterior(high * total, (1 - high) * total), baseline)
    assert 0.0 <= fit_low <= fit_high + 1e-12 <= 1.0 + 1e-12


features_strategy = st.builds(
    ClipFeatures,
    duration_s=st.floats(min_value=0.1, max_value=600),
    width=st.integers(min_value=1, max_value=8000),
    height=st.integers(min_value=1, max_value=8000),
    has_audio=st.booleans(),
    cuts_per_5s=st.floats(min_value=0, max_value=50),
    dynamic_start=st.booleans(),
    face_in_first_seconds=st.none() | st.booleans(),
    loudness_lufs=st.none() | st.floats(min_value=-70, max_value=0),
)
weights_strategy = st.dictionaries(st.sampled_from(TERMS), st.floats(min_value=0, max_value=100), min_size=1).filter(
    lambda terms: any(w > 0 for w in terms.values())
)
posterior_strategy = st.none() | st.builds(BetaPosterior, alpha=st.floats(1, 1e6), beta=st.floats(1, 1e6))


@settings(deadline=None)  # one slow example on a loaded machine is not a failure
@given(
    features=features_strategy,
    platform=st.sampled_from(PLATFORMS),
    terms=weights_strategy,
    posterior=posterior_strategy,
)
def test_totals_and_terms_stay_in_the_unit_interval(
    features: ClipFeatures, platform: Platform, terms: dict[str, float], posterior: BetaPosterior | None
) -> None:
    result = evaluate_clip(features, platform, Weights(1, terms), posterior, 0.05)
    assert set(result.breakdown) == set(TERMS)
    assert all(0.0 <= value <= 1.0 for value in result.breakdown.values())
    assert 0.0 <= result.total <= 1.0
    # a weighted mean lies between its smallest and largest weighted term
    used = [result.breakdown[name] for name, w in terms.items() if w > 0]
    assert min(used) - 1e-9 <= result.total <= max(used) + 1e-9


def fixed(total: float, cvr_term: float = 0.5) -> Score:
    return Score(total, {"expected_cvr": cvr_term}, 1, "2025-01", "tiktok")


def test_best_of_takes_the_highest_total_of_at_least_one() -> None:
    assert best_of([("a", fixed(0.4)), ("b", fixed(0.9)), ("c", fixed(0.7))]) == "b"
    with pytest.raises(ValueError, match="at least one"):
        best_of([])


def test_best_of_breaks_ties_by_expected_cvr_then_smallest_id_in_any_order() -> None:
    scored = [("c", fixed(0.8, 0.6)), ("b", fixed(0.8, 0.7)), ("a", fixed(0.8, 0.7)), ("d", fixed(0.5, 0.9))]
    assert {best_of(list(order)) for order in itertools.permutations(scored)} == {"a"}
