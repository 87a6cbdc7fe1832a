"""One decode of a video: cuts pinned to their shot's first frame, the 9:16 crop with an IDR there, clips copied."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

import media.crop_encoder as crop_encoder
from activities.clip_media import ClipMediaActivities
from devstack.samples import ffmpeg_exe
from domain.clip_plan import ShotPass, copy_plan
from domain.rules import ClipFeatures
from media.clip_features import span_features
from media.clipping import clip_features, copy_clip, loudness_blocks
from media.local_analyzer import measure_video
from media.shot_pass import loudness_source, shot_pass
from media.source import DECODER_THREADS, PASS_DECODER_BYTES, pass_decoder_threads
from models.schemas.clips import CutClipInput, ShotsInput
from settings import Settings
from storage.objects import ObjectRef

SHOTS = [2.0, 2.5, 1.5, 3.0, 3.0]  # 12 s at 30 fps: hard cuts at 2.0, 4.5, 6.0 and 9.0 s
CUTS = [2.0, 4.5, 6.0, 9.0]
SOURCES = ["testsrc2", "smptehdbars", "rgbtestsrc"]  # their luma histograms differ a lot
QUIET = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]


def _render(path: Path, size: str = "640x360", codec: tuple[str, ...] = ("-c:v", "libx264", "-bf", "2")) -> Path:
    """Test patterns taking turns (each change a hard cut), a keyframe every 2 s, a tone."""
    shots = [f"{SOURCES[i % 3]}=s={size}:r=30,trim=duration={d},format=yuv420p[v{i}]" for i, d in enumerate(SHOTS)]
    graph = ";".join(shots) + ";" + "".join(f"[v{i}]" for i in range(len(SHOTS))) + f"concat=n={len(SHOTS)}[v]"
    subprocess.run(
        [*QUIET, "-filter_complex", graph, "-f", "lavfi", "-i", f"sine=frequency=440:duration={sum(SHOTS)}",
         "-map", "[v]", "-map", "0:a", *codec, "-g", "60", "-sc_threshold", "0", "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pass")


@pytest.fixture(scope="module")
def source(work: Path) -> Path:
    return _render(work / "source.mp4")


@pytest.fixture(scope="module")
def shots(source: Path, work: Path) -> ShotPass:
    crop = work / "vertical.mp4"
    found = shot_pass(str(source), crop, 1920)
    found.loudness_blocks = loudness_blocks(loudness_source(found, crop, str(source)))
    return found


def _rgb(frame: av.VideoFrame, centre_width: int | None = None) -> np.ndarray:
    """Mean colour of a frame (of its centre columns when given): which shot it belongs to."""
    rgb = frame.to_ndarray(format="rgb24").astype(float)
    if centre_width is not None:
        left = (rgb.shape[1] - centre_width) // 2
        rgb = rgb[:, left : left + centre_width]
    return rgb.mean(axis=(0, 1))


def _frames(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def test_cuts_are_the_first_frames_of_the_shots_and_the_crop_has_an_idr_on_each(
    source: Path, shots: ShotPass, work: Path
) -> None:
    assert shots.cut_times_s == CUTS
    # the analyzer's own detector, whose cuts are sample midpoints up to 1/12 s early, finds the same ones
    assert measure_video(str(source)).cut_times_s == pytest.approx(CUTS, abs=0.1)
    assert (shots.width, shots.height, shots.duration_s) == (640, 360, 12.0)
    assert set(CUTS) <= set(shots.vertical_keyframes_s) and shots.vertical is not None
    assert len(shots.vertical.times) == len(shots.original.times) == len(shots.original.scores) + 1
    with av.open(str(work / "vertical.mp4")) as crop:
        video = crop.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (202, 360)  # clip_filter's 9:16 crop
        assert crop.streams.audio and video.frames == 360
    # H.264 4:2:0 within 1920 px at time 0: fit to be an original clip as it is
    assert shots.source_packets and shots.audio_is_aac and shots.loudness_blocks


def test_a_vertical_clip_copied_from_the_crop_opens_on_its_shot_and_measures_as_if_decoded(
    source: Path, shots: ShotPass, work: Path
) -> None:
    plan = copy_plan(shots, 4.5, 9.0, True)
    assert plan is not None and plan[0] == "vertical"
    assert plan.seek_s == 4.5  # the crop's IDR exactly: nothing hidden before it
    clip = copy_clip(str(work / "vertical.mp4"), work / "v.mp4", (4.5, 9.0), plan[1], shots.audio_is_aac, None,
                     seek_s=plan.seek_s)  # fmt: skip
    frames, original = _frames(clip), _frames(source)
    assert len(frames) == 135  # 4.5 s: nothing before the cut at 4.5, nothing from the cut at 9.0
    first, last = _rgb(frames[0]), _rgb(frames[-1])
    assert np.abs(first - _rgb(original[135], 202)).max() < 8 < np.abs(first - _rgb(original[134], 202)).max()
    assert np.abs(last - _rgb(original[269], 202)).max() < 8 < np.abs(last - _rgb(original[270], 202)).max()
    assert shots.vertical is not None
    fast = span_features(clip, shots.vertical, shots.loudness_blocks, (4.5, 9.0))
    slow = clip_features(clip)
    assert fast.model_dump(exclude={"loudness_lufs"}) == slow.model_dump(exclude={"loudness_lufs"})
    assert fast.loudness_lufs == pytest.approx(slow.loudness_lufs, abs=0.5)
    assert (fast.width, fast.height, fast.duration_s, fast.cuts_per_5s) == (202, 360, 4.5, pytest.approx(1.111))


def test_an_original_clip_from_the_first_frame_is_the_source_s_own_stream(
    source: Path, shots: ShotPass, work: Path
) -> None:
    plan = copy_plan(shots, 0.0, 6.0, False)
    assert plan is not None and plan[0] == "source"
    clip = copy_clip(str(source), work / "o.mp4", (0.0, 6.0), plan[1], shots.audio_is_aac, None)
    frames, original = _frames(clip), _frames(source)
    # B-frames: the copy stops at a whole decodable prefix, up to two frames short, never past the cut at 6.0
    assert 178 <= len(frames) <= 180
    assert np.abs(_rgb(frames[-1]) - _rgb(original[len(frames) - 1])).max() < 1
    with av.open(str(source)) as src, av.open(str(clip)) as out:
        packets = [bytes(p) for p in out.demux(video=0) if p.size][:30]
        assert packets == [bytes(p) for p in src.demux(video=0) if p.size][:30]  # not re-encoded
    # a later start opens on the source's IDR on it or, hidden by an edit list, the one before it
    assert copy_plan(shots, 2.0, 15.0, False) == ("source", None, 0.0, 2.0)
    assert copy_plan(shots, 4.5, 9.0, False) == ("source", pytest.approx(266 / 30), 0.5, 4.5)  # the P before 9 s


def test_a_crop_ffmpeg_refuses_is_dropped_and_the_cuts_still_found(
    source: Path, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crop_encoder, "CROP_X264", {"preset": "no-such-preset"})
    shots = shot_pass(str(source), work / "refused.mp4", 1920)
    assert shots.cut_times_s == CUTS
    assert shots.vertical is None and not shots.vertical_keyframes_s
    assert copy_plan(shots, 4.5, 9.0, True) is None  # its vertical clips get re-encoded instead
    scan = loudness_source(shots, work / "refused.mp4", str(source))
    assert scan == str(source) and loudness_blocks(scan)  # read from the source itself


def test_a_vertical_source_in_another_codec_is_neither_cropped_nor_copied(work: Path) -> None:
    source = _render(work / "mpeg4.mp4", "360x640", ("-c:v", "mpeg4", "-q:v", "5"))
    shots = shot_pass(str(source), work / "none.mp4", 1920)
    assert shots.cut_times_s == CUTS and (shots.width, shots.height) == (360, 640)
    assert shots.vertical is None and not shots.source_packets
    assert copy_plan(shots, 0.0, 6.0, False) is None


async def test_the_activities_store_the_pass_and_copy_clips_from_it_or_re_encode_without_it(
    s3: Any, stack_settings: Settings, source: Path, work: Path
) -> None:
    bucket = stack_settings.r2_client_assets_bucket
    key = f"assets/tests/{uuid.uuid4()}.mp4"
    await s3.put_object(Bucket=bucket, Key=key, Body=await asyncio.to_thread(source.read_bytes))
    media, env = ClipMediaActivities(s3), ActivityEnvironment()
    shots = await env.run(media.detect_shots, ShotsInput(video_key=f"r2://{bucket}/{key}"))
    assert (shots.cut_times_s, shots.width, shots.height) == (CUTS, 640, 360)

    async def cut(start: float, end: float, vertical: bool) -> tuple[ClipFeatures, list[av.VideoFrame]]:
        params = CutClipInput(video_asset_id=uuid.uuid4(), clip_id=uuid.uuid4(), video_key=f"r2://{bucket}/{key}",
                              clips_bucket=bucket, start_s=start, end_s=end, vertical_crop=vertical)  # fmt: skip
        out = await env.run(media.cut_clip, params)
        stored = await s3.get_object(Bucket=bucket, Key=ObjectRef.parse(out.clip_key).key)
        await asyncio.to_thread((work / "stored.mp4").write_bytes, await stored["Body"].read())
        return out.features, await asyncio.to_thread(_frames, work / "stored.mp4")

    copied, frames = await cut(4.5, 9.0, True)
    assert (copied.width, copied.height, len(frames)) == (202, 360, 135)
    # a later start of the original: the source copied from the IDR at 4.0 s, its first half second hidden
    original, frames = await cut(4.5, 9.0, False)
    assert (original.width, original.height, original.duration_s) == (640, 360, pytest.approx(4.5, abs=0.07))
    assert 133 <= len(frames) <= 135  # B-frames: up to two short at the end, none from before 4.5 s
    source_frames = await asyncio.to_thread(_frames, source)
    assert (
        np.abs(_rgb(frames[0]) - _rgb(source_frames[135])).max()
        < 1
        < np.abs(_rgb(frames[0]) - _rgb(source_frames[134])).max()
    )
    # without what the pass stored (its files deleted), there is nothing to cut from: a typed, final failure
    await s3.delete_object(Bucket=bucket, Key=f"{key}.shots/shots.json")
    with pytest.raises(ApplicationError) as missing:
        await cut(4.5, 9.0, True)
    assert missing.value.type == "ShotPassMissing" and missing.value.non_retryable


@pytest.mark.parametrize("cores", [1, 2, 8, 64])
def test_the_pass_decodes_on_three_frame_threads_a_core_within_its_memory_budget(
    cores: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    hd, largest = pass_decoder_threads(1920, 1080), pass_decoder_threads(4096, 4096)
    assert DECODER_THREADS <= hd <= max(DECODER_THREADS, 3 * cores) and hd <= 12
    if cores >= 2:
        assert hd >= 6  # x264 shares the cores: the decoder needs the slack
    deep = pass_decoder_threads(4096, 2304, bits=10)  # 10-bit samples take two bytes each
    for threads, (w, h), size in ((hd, (1920, 1080), 1), (largest, (4096, 4096), 1), (deep, (4096, 2304), 2)):
        assert threads == DECODER_THREADS or threads * 2 * w * h * 3 // 2 * size <= PASS_DECODER_BYTES  # two a thread
    assert deep <= pass_decoder_threads(4096, 2304)
