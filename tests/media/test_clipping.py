"""Cutting clips with FFmpeg and measuring their features on rendered sample ads (no services)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import pytest

import media.clipping as clipping
import media.faces as faces
import media.ffmpeg_cli as ffmpeg_cli
from devstack.samples import SAMPLE_ADS, SampleAd, make_sample_video, make_test_video
from domain.clip_plan import plan_clips
from media.clipping import ClipCutFailed, clip_features, cut_clip
from media.local_analyzer import measure_video
from tests.support.fileserver import serve_directory

ADS = {ad.name: ad for ad in SAMPLE_ADS}


def _render(factory: pytest.TempPathFactory, ad: SampleAd) -> Path:
    return make_sample_video(ad, factory.mktemp("src") / f"{ad.name}.mp4")


@pytest.fixture(scope="module")
def medium_20s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 20 s 720x1280 medium-pacing ad: a cut every 2 s."""
    ad = ADS["invoice-app-pain"]
    assert (ad.duration_s, ad.pacing) == (20.0, "medium")
    return _render(tmp_path_factory, ad)


@pytest.fixture(scope="module")
def horizontal_silent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_test_video(tmp_path_factory.mktemp("src") / "h.mp4", 3.0, 1280, 720, audio=False)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def _streams(path: Path) -> tuple[int, int, bool]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return video.codec_context.width, video.codec_context.height, bool(container.streams.audio)


def test_a_clip_cut_from_a_shot_boundary_has_the_planned_length(medium_20s: Path, clips: Path) -> None:
    cuts = measure_video(str(medium_20s)).cut_times_s
    start = cuts[1]  # ~3.9 s: a boundary well inside the video, so the seek is a real one
    beats: list[str] = []
    clip = cut_clip(str(medium_20s), clips / "medium.mp4", start, start + 9.0, False, heartbeat=beats.append)
    # seconds of 1080p encoding: ffmpeg's progress keeps the activity's heartbeat going
    assert beats and all(b.startswith("cutting: ") and b.endswith("of 9s") for b in beats)
    features = clip_features(clip)
    assert features.duration_s == pytest.approx(9.0, abs=0.1)
    # the long edge is capped at 1080, the shape kept
    assert (features.width, features.height) == (608, 1080)
    assert features.has_audio and _streams(clip)[2]
    assert features.loudness_lufs is not None and -40.0 < features.loudness_lufs < 0.0
    # it starts on a cut, so its first cut is the next one, ~2 s in
    assert features.dynamic_start
    assert features.pacing == "medium"
    assert features.hook_type is None and features.emotion is None
    assert not list(clips.glob(".*.part"))


def test_a_vertical_crop_of_a_horizontal_video_is_9_by_16(horizontal_silent: Path, clips: Path) -> None:
    clip = cut_clip(str(horizontal_silent), clips / "crop.mp4", 0.5, 2.5, vertical_crop=True)
    assert _streams(clip)[:2] == (404, 720)
    small = cut_clip(str(horizontal_silent), clips / "crop-small.mp4", 0.0, 1.0, vertical_crop=True, max_edge=320)
    width, height = _streams(small)[:2]
    assert height == 320 and width / height == pytest.approx(9 / 16, abs=0.01)


def test_a_source_without_audio_gives_a_silent_clip_and_no_loudness(horizontal_silent: Path, clips: Path) -> None:
    clip = cut_clip(str(horizontal_silent), clips / "silent.mp4", 0.0, 3.0, vertical_crop=False, max_edge=640)
    assert _streams(clip) == (640, 360, False)
    features = clip_features(clip)
    assert not features.has_audio
    assert features.loudness_lufs is None


def test_a_fast_clip_has_more_cuts_per_5s_than_a_slow_one(tmp_path_factory: pytest.TempPathFactory) -> None:
    # small renders of the fast and slow ads: the cut rhythm, not the pixels, is under test
    fast = dataclasses.replace(ADS["glow-serum-hook"], width=360, height=640)
    slow = dataclasses.replace(ADS["band-kit-review"], duration_s=12.0, width=640, height=360)
    clips = tmp_path_factory.mktemp("pace")
    measured = {}
    for ad in (fast, slow):
        clip = cut_clip(str(_render(tmp_path_factory, ad)), clips / f"{ad.pacing}.mp4", 0.0, 8.0, False, 640)
        measured[ad.pacing] = clip_features(clip)
    assert measured["fast"].cuts_per_5s > 3 * measured["slow"].cuts_per_5s
    assert (measured["fast"].pacing, measured["slow"].pacing) == ("fast", "slow")


def test_a_5s_video_end_to_end(tmp_path_factory: pytest.TempPathFactory) -> None:
    ad = dataclasses.replace(ADS["home-hiit-challenge"], width=360, height=640)
    source = _render(tmp_path_factory, ad)
    m = measure_video(str(source))
    (plan,) = plan_clips(m.cut_times_s, m.duration_s, m.width, m.height)
    clip = cut_clip(str(source), tmp_path_factory.mktemp("e2e") / "clip.mp4", plan.start_s, plan.end_s, False)
    features = clip_features(clip)
    assert (plan.start_s, plan.end_s) == (0.0, 5.0)
    assert features.duration_s == pytest.approx(5.0, abs=0.1)
    assert (features.width, features.height) == (360, 640)
    assert features.has_audio and features.loudness_lufs is not None
    # this ad's background is cellular noise: cut detection there is the analyzer's business, not this test's
    assert features.cuts_per_5s >= 0


def test_a_presigned_style_http_url_is_a_source(horizontal_silent: Path, clips: Path) -> None:
    with serve_directory(horizontal_silent.parent) as base:
        clip = cut_clip(f"{base}/{horizontal_silent.name}", clips / "http.mp4", 1.0, 2.0, False, 320)
    assert _streams(clip) == (320, 180, False)


def test_failures_raise_clip_cut_failed_with_ffmpeg_s_words(horizontal_silent: Path, clips: Path) -> None:
    with pytest.raises(ClipCutFailed, match="No such file"):
        cut_clip(str(clips / "missing.mp4"), clips / "never.mp4", 0.0, 1.0, False)
    with pytest.raises(ClipCutFailed, match="no video frames"):
        cut_clip(str(horizontal_silent), clips / "past-end.mp4", 10.0, 12.0, False)
    with pytest.raises(ClipCutFailed, match="did not finish"):
        cut_clip(str(horizontal_silent), clips / "slow.mp4", 0.0, 3.0, False, timeout_s=0.01)
    with pytest.raises(ValueError):
        cut_clip(str(horizontal_silent), clips / "backwards.mp4", 2.0, 1.0, False)
    assert not any((clips / name).exists() for name in ("never.mp4", "past-end.mp4", "slow.mp4"))
    assert not list(clips.glob(".*.part"))


def test_faces_are_looked_for_at_half_and_one_and_a_half_seconds(
    horizontal_silent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jpegs: list[bytes] = []

    def one_face_in_the_second(jpeg: bytes) -> int:
        jpegs.append(jpeg)
        return len(jpegs) - 1

    monkeypatch.setattr(clipping, "face_detector_available", lambda: True)
    monkeypatch.setattr(faces, "detect_faces", one_face_in_the_second)
    assert clipping.face_in_first_seconds(horizontal_silent) is True
    assert len(jpegs) == 2 and all(j.startswith(b"\xff\xd8") for j in jpegs)
    monkeypatch.setattr(faces, "detect_faces", lambda jpeg: 0)
    assert clipping.face_in_first_seconds(horizontal_silent) is False
    monkeypatch.setattr(clipping, "face_detector_available", lambda: False)
    assert clipping.face_in_first_seconds(horizontal_silent) is None


def test_presigned_query_strings_never_reach_the_error_message() -> None:
    stderr = "[https @ 0x1] HTTP error 403\nhttps://s3.local/b/k.mp4?X-Amz-Signature=abc&X-Amz-Credential=x: 403"
    tail = ffmpeg_cli.tail(stderr)
    assert "X-Amz" not in tail and "https://s3.local/b/k.mp4?<redacted>" in tail


def test_the_block_lines_are_what_loudness_is_read_from() -> None:
    # ebur128's per-100-ms lines at verbose level; the summary's "I:" is recomputed per span, never read
    stderr = (
        "[Parsed_ebur128_0 @ 0x1] t: 0.399979   TARGET:-23 LUFS    M: -34.4 S:-120.7     I: -34.4 LUFS  LRA: 0.0 LU\n"
        "[Parsed_ebur128_0 @ 0x1] t: 0.499979   TARGET:-23 LUFS    M:-120.7 S:-120.7     I: -34.2 LUFS  LRA: 0.0 LU\n"
        "[Parsed_ebur128_0] Summary:\n\n  Integrated loudness:\n    I:         -19.7 LUFS\n    Threshold: -30.0 LUFS"
    )
    assert clipping._BLOCK.findall(stderr) == [("0.399979", "-34.4"), ("0.499979", "-120.7")]
