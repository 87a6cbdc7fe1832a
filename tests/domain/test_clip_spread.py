"""Candidates from the whole video: every shot start considered, the promising ones first, spread, within the cap."""

from __future__ import annotations

from domain.clip_plan import WHOLE, ClipPlan, shot_boundaries
from domain.clip_spread import (
    DEFAULT_CANDIDATES,
    possible_spans,
    prospects,
    spread_plans,
    vertical_size,
)
from domain.platforms import PLATFORMS
from domain.rules import ClipFeatures

EVERY_4S = [4.0 * i for i in range(1, 15)]  # a 60 s vertical video of 15 four-second shots
# the 60 s horizontal benchmark video's cuts (bench/clips.py)
BENCH_CUTS = [3.5, 6.0, 10.0, 13.0, 15.5, 19.0, 22.0, 26.0, 28.5, 32.0, 35.0, 38.5, 42.5, 46.5, 49.0, 52.0, 56.0]


def _bland(plan: ClipPlan, width: int = 720, height: int = 1280) -> ClipFeatures:
    """What a clip of a video with nothing to tell its spans apart would measure."""
    w, h = vertical_size(width, height, 1920) if plan.vertical_crop else (width, height)
    return ClipFeatures(duration_s=plan.duration_s, width=w, height=h, has_audio=True, cuts_per_5s=1.25,
                        dynamic_start=False, loudness_lufs=-20.0, pacing="slow")  # fmt: skip


def _plans(cuts: list[float], width: int, height: int) -> list[ClipPlan]:
    spans = possible_spans(cuts, 60.0)
    return spread_plans(prospects(spans, width > height, lambda p: _bland(p, width, height), lambda p: True), 12)


def test_a_minute_of_four_second_shots_gets_at_least_12_candidates_spread_over_the_whole_video() -> None:
    plans = _plans(EVERY_4S, 720, 1280)
    starts = {p.start_s for p in plans}
    assert len(plans) == DEFAULT_CANDIDATES >= 12
    assert len(starts) >= 8 and starts <= set(shot_boundaries(EVERY_4S, 60.0))
    # the old planner's candidates all started at 0, 4 or 8 s; these start past the middle and cover every second
    assert max(starts) >= 30.0 and min(starts) == 0.0
    assert all(any(p.start_s <= t < p.end_s for p in plans) for t in range(60))
    assert len({(p.start_s, p.end_s) for p in plans}) == len(plans)  # no span twice
    assert all(not p.vertical_crop for p in plans)  # a vertical source is never cropped


def test_the_horizontal_benchmark_video_gets_both_framings_and_eight_distinct_starts() -> None:
    plans = _plans(BENCH_CUTS, 1920, 1080)
    assert len(plans) == 12 and len({p.start_s for p in plans}) >= 8
    assert {p.vertical_crop for p in plans} == {True, False}  # 9:16 for TikTok/Instagram, 16:9 for YouTube
    assert len({(p.start_s, p.end_s, p.vertical_crop) for p in plans}) == 12


def test_a_hook_in_the_middle_is_every_platform_s_first_pick() -> None:
    def hook_at_24s(plan: ClipPlan) -> ClipFeatures:
        features = _bland(plan)
        if plan.start_s == 24.0:  # quick cuts from the first second, at the platform's loudness
            return features.model_copy(update={"dynamic_start": True, "cuts_per_5s": 2.5, "loudness_lufs": -14.0})
        return features

    spans = possible_spans(EVERY_4S, 60.0)
    scored = prospects(spans, False, hook_at_24s, lambda p: True)
    for platform in PLATFORMS:
        assert max(scored, key=lambda c: c.scores[platform]).plan.start_s == 24.0
    # the first pick opens on the hook, and the best planned clip for each platform is one of those opening there
    assert [p.start_s for p in spread_plans(scored, 1)] == [24.0]
    plans = set(spread_plans(scored, 12))
    for platform in PLATFORMS:
        assert max((c for c in scored if c.plan in plans), key=lambda c: c.scores[platform]).plan.start_s == 24.0
    # the rest still spread out rather than crowding the hook
    assert len({p.start_s for p in plans}) >= 6


def test_only_allowed_framings_are_planned_and_the_cap_holds() -> None:
    spans = possible_spans(BENCH_CUTS, 60.0)
    originals_on_even_seconds = prospects(
        spans, True, lambda p: _bland(p, 1920, 1080), lambda p: p.vertical_crop or p.start_s % 2 == 0
    )
    plans = spread_plans(originals_on_even_seconds, 5)
    assert len(plans) == 5 and all(p.vertical_crop or p.start_s % 2 == 0 for p in plans)
    assert spread_plans(originals_on_even_seconds, 1) and not spread_plans([], 4)


def test_a_short_video_is_offered_whole_and_spans_fit_some_window() -> None:
    assert possible_spans([1.0, 2.0], 5.0) == [ClipPlan(0.0, 5.0, False, WHOLE)]
    spans = possible_spans(EVERY_4S, 60.0)
    assert spans[0].reason == WHOLE and all(p.duration_s >= 9.0 for p in spans)
    assert all(p.end_s <= 60.0 for p in spans)


def test_the_crop_size_is_the_shot_pass_s() -> None:
    assert vertical_size(1920, 1080, 1920) == (606, 1080)
    assert vertical_size(640, 360, 1920) == (202, 360)
    assert vertical_size(3840, 2160, 1920) == (1078, 1920)  # 1214x2160 scaled, even sides
