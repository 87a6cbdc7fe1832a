"""Candidates planned from a real shot pass: spread over the video, each copied (no encode), opening on its shot's
first frame, decoding cleanly, and measuring from the samples as the clip itself measures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from devstack.samples import ffmpeg_exe
from domain.clip_plan import OpeningFace, ShotPass, copy_plan
from media.clip_candidates import plan_candidates
from media.clip_features import span_features
from media.clipping import clip_features, copy_clip, loudness_blocks
from media.shot_pass import loudness_source, shot_pass

# 30 s at 30 fps, a keyframe every 2 s: most shots start between keyframes, so their copies need a lead-in
SHOTS = [3.5, 2.5, 4.0, 3.0, 2.5, 3.5, 3.0, 4.0, 4.0]
CUTS = [3.5, 6.0, 10.0, 13.0, 15.5, 19.0, 22.0, 26.0]
SOURCES = ["testsrc2", "smptehdbars", "rgbtestsrc"]
QUIET = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]


def _render(path: Path, x264: str = "open-gop=0") -> Path:
    """Test patterns taking turns, each in its own hue (a hard cut each time), B-frames, a tone."""
    shots = [f"{SOURCES[i % 3]}=s=640x360:r=30,trim=duration={d},format=yuv420p,hue=h={40 * i}[v{i}]"
             for i, d in enumerate(SHOTS)]  # fmt: skip
    graph = ";".join(shots) + ";" + "".join(f"[v{i}]" for i in range(len(SHOTS))) + f"concat=n={len(SHOTS)}[v]"
    subprocess.run(
        [*QUIET, "-filter_complex", graph, "-f", "lavfi", "-i", f"sine=frequency=440:duration={sum(SHOTS)}",
         "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-bf", "2", "-g", "60", "-sc_threshold", "0",
         "-x264-params", x264,
         "-c:a", "aac", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("candidates")


@pytest.fixture(scope="module")
def source(work: Path) -> Path:
    return _render(work / "source.mp4")


@pytest.fixture(scope="module")
def shots(source: Path, work: Path) -> ShotPass:
    found = shot_pass(str(source), work / "vertical.mp4", 1920)
    found.loudness_blocks = loudness_blocks(loudness_source(found, work / "vertical.mp4", str(source)))
    return found


def _mean_rgb(frame: av.VideoFrame, centre_width: int | None = None) -> np.ndarray:
    rgb = frame.to_ndarray(format="rgb24").astype(float)
    if centre_width is not None:
        left = (rgb.shape[1] - centre_width) // 2
        rgb = rgb[:, left : left + centre_width]
    return rgb.mean(axis=(0, 1))


def test_the_pass_lists_the_source_s_idrs_every_2_s(shots: ShotPass) -> None:
    assert shots.cut_times_s == CUTS
    assert shots.source_keyframes_s == [2.0 * i for i in range(15)]


def test_candidates_spread_and_every_clip_is_a_copy_opening_on_its_shot(
    source: Path, shots: ShotPass, work: Path
) -> None:
    plans = plan_candidates(shots, 12, 1920)
    starts = {p.start_s for p in plans}
    assert len(plans) == 12 and len(starts) >= 6 and max(starts) >= 10.0
    assert starts <= {0.0, *CUTS} and {p.vertical_crop for p in plans} == {True, False}
    with av.open(str(source)) as container:
        original = [f for f in container.decode(video=0)]
    lead_ins = 0
    for i, plan in enumerate(plans):
        span = (plan.start_s, plan.end_s)
        copy = copy_plan(shots, *span, plan.vertical_crop)
        assert copy is not None, plan  # nothing re-encoded
        lead_ins += copy.lead_in_s > 0
        given = str(work / "vertical.mp4") if copy.source == "vertical" else str(source)
        clip = copy_clip(given, work / f"c{i}.mp4", span, copy.stop_dts, shots.audio_is_aac, None,
                         seek_s=copy.seek_s)  # fmt: skip
        decoded = subprocess.run([*QUIET, "-v", "error", "-i", str(clip), "-f", "null", "-"], capture_output=True)
        assert decoded.returncode == 0 and not decoded.stderr, decoded.stderr
        with av.open(str(clip)) as container:
            frames = list(container.decode(video=0))
        # whole frames of its span: up to two short at the end (B-frames), never one of the shot before
        expected = round((plan.end_s - plan.start_s) * 30)
        assert expected - 2 <= len(frames) <= expected, plan
        first = round(plan.start_s * 30)
        centre = 202 if plan.vertical_crop else None
        assert np.abs(_mean_rgb(frames[0]) - _mean_rgb(original[first], centre)).max() < 8, plan
        if first > 0:  # the shot before looks different: the clip does not open on its tail
            assert np.abs(_mean_rgb(frames[0]) - _mean_rgb(original[first - 1], centre)).max() > 8, plan
        samples = shots.vertical if plan.vertical_crop else shots.original
        assert samples is not None
        fast, slow = span_features(clip, samples, shots.loudness_blocks, span), clip_features(clip)
        assert fast.model_dump(exclude={"loudness_lufs"}) == slow.model_dump(exclude={"loudness_lufs"}), plan
        assert fast.loudness_lufs == pytest.approx(slow.loudness_lufs, abs=0.5)
    assert lead_ins >= 1  # some originals open between the source's keyframes, hidden by the edit list


def test_the_pass_s_face_check_ranks_an_opening_with_a_face_first(shots: ShotPass) -> None:
    # the pass saw a face only where a 9:16 clip opens at 13 s
    faces = [OpeningFace(start_s=s, vertical=v, face=s == 13.0 and v) for s in (0.0, *CUTS) for v in (False, True)]
    first_pick = plan_candidates(shots, 1, 1920)[0]
    assert (first_pick.start_s, first_pick.vertical_crop) != (13.0, True)
    first_pick = plan_candidates(shots.model_copy(update={"opening_faces": faces}), 1, 1920)[0]
    assert (first_pick.start_s, first_pick.vertical_crop) == (13.0, True)


def test_an_open_gop_source_is_copied_from_its_first_frame_only(work: Path) -> None:
    # its later keyframes are I pictures whose leading B-frames refer to the GOP before: no clean place to open
    shots = shot_pass(str(_render(work / "open-gop.mp4", "open-gop=1")), work / "open-gop-crop.mp4", 1920)
    assert shots.source_packets and shots.source_keyframes_s == []
    assert copy_plan(shots, 0.0, 13.0, False) is not None
    assert copy_plan(shots, 10.0, 22.0, False) is None  # re-encoded
    assert copy_plan(shots, 10.0, 22.0, True) is not None  # the crop is ours, with an IDR on every shot
