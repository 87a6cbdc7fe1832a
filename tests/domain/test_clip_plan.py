import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.clip_plan import (
    MAX_LEAD_IN_S,
    SAME_CLIP_S,
    WHOLE,
    ClipPlan,
    CopyPlan,
    Samples,
    ShotPass,
    copy_plan,
    plan_clips,
    platform_windows,
    shot_boundaries,
    span_loudness,
    span_pairs,
)
from domain.platforms import PLATFORM_SPECS

EVERY_2S = [2.0 * i for i in range(1, 30)]


def _ends(cuts: list[float], duration: float) -> set[float]:
    return {*shot_boundaries(cuts, duration)[1:], duration}


def _in_some_window(length: float) -> bool:
    return any(s.suggested_min_s <= length <= s.suggested_max_s for s in PLATFORM_SPECS.values())


def test_cuts_every_2s_give_shot_aligned_clips_of_diverse_lengths_starting_early() -> None:
    plans = plan_clips(EVERY_2S, 60.0, 720, 1280)
    assert len(plans) == 8
    assert all(not p.vertical_crop for p in plans)
    ends = _ends(EVERY_2S, 60.0)
    assert all(p.start_s in shot_boundaries(EVERY_2S, 60.0) and p.end_s in ends for p in plans)
    # the hook: every length class is tried from the first frame before any later start
    assert [p.start_s for p in plans[:4]] == [0.0] * 4
    assert max(p.start_s for p in plans) <= 4.0
    assert len({p.duration_s for p in plans}) >= 4
    # 60 s is exactly TikTok's hard max, so the whole video is a candidate too
    assert ClipPlan(0.0, 60.0, False, WHOLE) in plans
    assert all(_in_some_window(p.duration_s) for p in plans if p.reason != WHOLE)


def test_a_5s_video_yields_one_5s_clip_with_or_without_cuts() -> None:
    expected = [ClipPlan(0.0, 5.0, False, WHOLE)]
    assert plan_clips([], 5.0, 720, 1280) == expected
    assert plan_clips([0.7, 1.4, 2.1, 2.8, 3.5, 4.2], 5.0, 720, 1280) == expected


def test_a_video_shorter_than_3s_is_still_offered_whole() -> None:
    assert plan_clips([1.0], 2.0, 720, 1280) == [ClipPlan(0.0, 2.0, False, WHOLE)]


def test_a_horizontal_video_gets_a_vertical_twin_of_each_clip_within_the_cap() -> None:
    plans = plan_clips(EVERY_2S, 60.0, 1280, 720, max_candidates=8)
    assert len(plans) == 8
    originals = [p for p in plans if not p.vertical_crop]
    twins = [p for p in plans if p.vertical_crop]
    assert len(originals) == len(twins) == 4
    assert [(p.start_s, p.end_s) for p in originals] == [(p.start_s, p.end_s) for p in twins]
    assert all("9:16" in p.reason for p in twins)


def test_an_odd_or_unit_cap_on_a_horizontal_video() -> None:
    assert len(plan_clips(EVERY_2S, 60.0, 1280, 720, max_candidates=5)) == 4
    (only,) = plan_clips(EVERY_2S, 60.0, 1280, 720, max_candidates=1)
    # every placement is vertical: with room for one clip, the crop is the one worth cutting
    assert only.vertical_crop and only.start_s == 0.0


def test_square_and_vertical_sources_get_no_crop() -> None:
    assert not any(p.vertical_crop for p in plan_clips(EVERY_2S, 60.0, 720, 720))


def test_no_cuts_at_all_gives_one_clip_per_window_from_the_start() -> None:
    plans = plan_clips([], 40.0, 720, 1280)
    # YouTube's window would also end at the video's end: that is the whole video, kept once
    assert [(p.start_s, p.end_s) for p in plans] == [(0.0, 15.0), (0.0, 30.0), (0.0, 40.0)]
    assert "mid-shot" in plans[0].reason


def test_a_video_over_every_hard_max_is_not_offered_whole() -> None:
    plans = plan_clips([], 200.0, 720, 1280)
    assert [(p.start_s, p.end_s) for p in plans] == [(0.0, 15.0), (0.0, 30.0), (0.0, 45.0)]


def test_near_identical_clips_are_deduplicated() -> None:
    # cuts 0.1 s apart (one flash detected twice) would start two copies of every clip
    spans = [(p.start_s, p.end_s) for p in plan_clips([1.0, 1.1], 40.0, 720, 1280, max_candidates=12)]
    assert (1.0, 16.0) in spans
    assert not any(start == 1.1 for start, _ in spans)


def test_windows_are_the_distinct_suggested_windows() -> None:
    windows = {(w.min_s, w.max_s) for w in platform_windows()}
    assert windows == {(s.suggested_min_s, s.suggested_max_s) for s in PLATFORM_SPECS.values()}


def test_deterministic_and_independent_of_cut_order() -> None:
    cuts = [3.3, 1.1, 7.9, 12.4, 18.0, 25.5, 31.2]
    assert plan_clips(cuts, 40.0, 1920, 1080) == plan_clips(list(reversed(cuts)), 40.0, 1920, 1080)
    assert plan_clips(cuts, 40.0, 1920, 1080) == plan_clips(cuts, 40.0, 1920, 1080)


def test_cut_times_outside_the_video_are_ignored() -> None:
    assert shot_boundaries([-1.0, 0.0, 2.0, 2.0, 9.0, math.nan, 10.0, 12.0], 10.0) == [0.0, 2.0, 9.0]


@pytest.mark.parametrize(
    ("duration", "width", "height", "cap"),
    [(0.0, 720, 1280, 8), (math.inf, 720, 1280, 8), (10.0, 0, 1280, 8), (10.0, 720, 1280, 0)],
)
def test_invalid_input_is_refused(duration: float, width: int, height: int, cap: int) -> None:
    with pytest.raises(ValueError):
        plan_clips([], duration, width, height, cap)


@settings(max_examples=300, deadline=None)
@given(
    cuts=st.lists(st.floats(min_value=-5, max_value=250, allow_nan=False), max_size=60),
    duration=st.floats(min_value=0.5, max_value=240),
    horizontal=st.booleans(),
    cap=st.integers(min_value=1, max_value=12),
)
def test_every_plan_lies_in_the_video_and_starts_on_a_boundary(
    cuts: list[float], duration: float, horizontal: bool, cap: int
) -> None:
    width, height = (1280, 720) if horizontal else (720, 1280)
    plans = plan_clips(cuts, duration, width, height, cap)
    boundaries = shot_boundaries(cuts, duration)
    assert 1 <= len(plans) <= cap
    # the cap is a budget: one more slot never yields fewer candidates
    assert len(plan_clips(cuts, duration, width, height, cap + 1)) >= len(plans)
    assert plans == sorted(plans, key=lambda p: (p.start_s, p.duration_s, p.vertical_crop))
    for p in plans:
        assert 0.0 <= p.start_s < p.end_s <= round(duration, 3)
        assert p.start_s in boundaries
        assert p.duration_s >= 3.0 or p.reason.startswith(WHOLE)
    # crops only for a horizontal source; one slot holds just the crop; more hold both framings
    crops = {p.vertical_crop for p in plans}
    assert crops == (({True} if cap == 1 else {False, True}) if horizontal else {False})
    for i, a in enumerate(plans):
        for b in plans[i + 1 :]:
            same = abs(a.start_s - b.start_s) <= SAME_CLIP_S and abs(a.end_s - b.end_s) <= SAME_CLIP_S
            assert not (same and a.vertical_crop == b.vertical_crop)
    if horizontal and cap > 1:
        assert sum(p.vertical_crop for p in plans) * 2 == len(plans)
    assert plans == plan_clips(cuts, duration, width, height, cap)


def test_a_span_has_the_sample_pairs_wholly_inside_it() -> None:
    times = [0.0, 1 / 6, 2 / 6, 3 / 6, 4 / 6]
    # the pair straddling the start is the cut the clip opens on; the one reaching the end is past it
    assert span_pairs(times, 1 / 6, 0.6) == [1, 2]
    assert span_pairs(times, 0.0, 10.0) == [0, 1, 2, 3]
    # cut times are rounded to the millisecond: a sample 0.3 ms before the start is still the start's frame
    assert span_pairs(times, round(1 / 6, 3), 10.0)[0] == 1


def test_span_loudness_gates_as_bs1770() -> None:
    # 400 ms blocks every 100 ms, (block end, LUFS): 2 s at -20, then 2 s at -40 (more than 10 LU below: gated)
    blocks = [(round(0.1 * i, 1), -20.0 if i <= 20 else -40.0) for i in range(4, 41)]
    assert span_loudness(blocks, 0.0, 4.0) == -20.0
    assert span_loudness(blocks, 2.5, 4.0) == -40.0
    # two levels 6 LU apart, both kept: the mean of their energies
    close = [(round(0.1 * i, 1), -20.0 if i % 2 else -26.0) for i in range(4, 40)]
    assert span_loudness(close, 0.0, 4.0) == pytest.approx(10 * math.log10((10**-2 + 10**-2.6) / 2), abs=0.05)
    # silence reads as the absolute gate; no block inside the span means nothing to say
    assert span_loudness([(t, -120.7) for t, _ in blocks], 0.0, 4.0) == -70.0
    assert span_loudness(blocks, 1.0, 1.2) is None


def _shots(**extra: object) -> ShotPass:
    return ShotPass(duration_s=10.0, width=1920, height=1080, cut_times_s=[3.0], original=Samples(), **extra)


def _copied(shots: ShotPass, start_s: float, end_s: float, vertical: bool) -> CopyPlan:
    plan = copy_plan(shots, start_s, end_s, vertical)
    assert plan is not None
    return plan


def test_a_clip_is_copied_only_from_a_keyframe_on_its_first_frame() -> None:
    # the crop: no B-frames, keyframes on the shot starts; the source: B-frames (dts lags pts)
    crop = [(i / 30, i / 30) for i in range(300)]
    source = [(-2 / 30, 0.0), *(((i - 2) / 30, (i + 2) / 30) for i in range(1, 298))]
    shots = _shots(vertical_packets=crop, vertical_keyframes_s=[0.0, 2.0, 3.0], source_packets=source)
    # stop at the first packet showing the end frame: nothing past the clip's end is shown
    assert _copied(shots, 3.0, 6.0, True)[:3] == ("vertical", pytest.approx(6.0), 0.0)
    assert copy_plan(shots, round(100 / 30, 3), 6.0, True) is None  # no keyframe there: re-encoded
    assert _copied(shots, 0.0, 9.0, False)[:3] == ("source", pytest.approx(266 / 30), 0.0)  # the P before 9 s
    assert _copied(shots, 0.0, 10.0, False)[:3] == ("source", None, 0.0)  # to the end
    assert copy_plan(shots, 3.0, 9.0, False) is None  # a later start of a source whose IDRs are unknown
    assert copy_plan(_shots(), 0.0, 9.0, False) is None  # a source unfit to copy (no packets listed)


def test_an_original_clip_from_mid_video_opens_on_the_source_idr_before_it_within_the_lead_in_limit() -> None:
    source = [(-2 / 30, 0.0), *(((i - 2) / 30, (i + 2) / 30) for i in range(1, 298))]
    shots = _shots(source_packets=source, source_keyframes_s=[0.0, 2.0, 6.0])
    assert _copied(shots, 6.0, 9.0, False)[:3] == ("source", pytest.approx(266 / 30), 0.0)  # on an IDR
    assert _copied(shots, 3.0, 9.0, False)[:3] == ("source", pytest.approx(266 / 30), 1.0)  # hidden 1 s
    far = _shots(source_packets=source, source_keyframes_s=[0.0])
    assert _copied(far, 3.0, 9.0, False)[:3] == ("source", pytest.approx(266 / 30), 3.0)
    assert MAX_LEAD_IN_S < 5.0 and copy_plan(far, 5.0, 9.0, False) is None  # too much hidden: re-encoded
    assert copy_plan(shots, 3.0, 9.0, True) is None  # a 9:16 clip needs the crop's own keyframe
    # playback starts on the clip's picture, at its exact time floored to the microsecond (0: the file's start)
    assert [_copied(shots, t, 9.0, False).seek_s for t in (0.0, 3.0, round(100 / 30, 3))] == [0.0, 3.0, 3.333333]
