"""The media activities on the real S3: storage outages are retryable failures, limits refuse with a reason,
rotation is honoured, long steps heartbeat, and a cancelled activity leaves no FFmpeg work behind."""

from __future__ import annotations

import asyncio
import io
import itertools
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import psutil
import pytest
from PIL import Image
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import ActivityEnvironment

import activities.clip_media as clip_media
import activities.heartbeat as heartbeat
from activities.clip_media import ClipMediaActivities
from activities.media import MediaActivities
from clients import s3_client
from devstack.samples import ffmpeg_exe, make_test_video, make_truncated_copy
from domain.clip_plan import ShotPass
from models.schemas.analysis import ExtractFramesInput
from models.schemas.clips import CutClipInput, ShotsInput
from models.schemas.media import MediaLimits, ProbeVideoInput
from settings import Settings
from storage.objects import ObjectRef
from tests.media.fault_proxy import Faults, fault_server


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("activity-media")
    good = make_test_video(folder / "good.mp4", duration_s=4.0, width=640, height=360)
    return {
        "good": good,
        "moov_last": make_test_video(folder / "moov-last.mp4", 4.0, 640, 360, faststart=False),
        "truncated": make_truncated_copy(good, folder / "truncated.mp4", keep_fraction=0.5),
        "phone": make_test_video(folder / "phone.mp4", duration_s=4.0, width=640, height=360, rotation=90),
        "one_frame": make_test_video(folder / "one-frame.mp4", duration_s=1 / 30, width=320, height=240, audio=False),
        "wide": make_test_video(folder / "wide.mp4", duration_s=1.0, width=4608, height=256, audio=False),
        "long": make_test_video(folder / "long.mp4", duration_s=40.0, width=1280, height=720),
    }


async def _stored(s3: Any, settings: Settings, path: Path) -> str:
    key = f"videos/client_tests/{uuid.uuid4()}.mp4"
    body = await asyncio.to_thread(path.read_bytes)
    await s3.put_object(Bucket=settings.r2_client_assets_bucket, Key=key, Body=body)
    return f"r2://{settings.r2_client_assets_bucket}/{key}"


@pytest.fixture
async def proxied(stack_settings: Settings) -> AsyncIterator[tuple[Any, Faults]]:
    """An S3 client whose every request, and every presigned URL it makes, goes through a failing proxy."""
    with fault_server(upstream=stack_settings.r2_endpoint_url) as (base, faults):
        async with s3_client(stack_settings.model_copy(update={"r2_endpoint_url": base})) as client:
            yield client, faults


async def test_a_storage_outage_mid_probe_is_a_retryable_failure_and_the_retry_succeeds(
    proxied: tuple[Any, Faults], stack_settings: Settings, videos: dict[str, Path]
) -> None:
    s3, faults = proxied
    params = ProbeVideoInput(key=await _stored(s3, stack_settings, videos["moov_last"]))
    faults.fail(100, skip=1, ffmpeg_only=True)  # S3 answers the first read, then 503s (as after a restart)
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(MediaActivities(s3).probe_video, params)
    assert raised.value.type == "SourceUnavailable" and not raised.value.non_retryable
    assert "X-Amz" not in str(raised.value) and 503 in faults.ffmpeg_answers()
    faults.fail(0)
    probe = await ActivityEnvironment().run(MediaActivities(s3).probe_video, params)
    assert (probe.width, probe.height, probe.duration_s) == (640, 360, pytest.approx(4.0, abs=0.1))


async def test_stored_videos_are_judged_by_what_they_are(
    s3: Any, stack_settings: Settings, videos: dict[str, Path]
) -> None:
    env, media = ActivityEnvironment(), MediaActivities(s3)

    async def probe(name: str, limits: MediaLimits | None = None, activities: MediaActivities = media) -> Any:
        key = await _stored(s3, stack_settings, videos[name])
        return await env.run(activities.probe_video, ProbeVideoInput(key=key, limits=limits))

    async def refusal(name: str, **kwargs: Any) -> str:
        with pytest.raises(ApplicationError) as raised:
            await probe(name, **kwargs)
        assert raised.value.type == "InvalidVideo" and raised.value.non_retryable
        return raised.value.message

    assert (await probe("moov_last")).width == 640  # its index at the end: a second read, no failure
    assert "damaged or truncated" in await refusal("truncated")
    one = await probe("one_frame")  # a single frame is a whole video
    assert (one.width, one.height) == (320, 240) and one.duration_s == pytest.approx(1 / 30, abs=0.01)
    phone = await probe("phone")
    assert (phone.width, phone.height) == (360, 640)  # the displayed size, not the stored 640x360
    assert await refusal("wide") == "the video is 4608×256 pixels; the limit is 4096×4096"
    short = MediaActivities(s3, MediaLimits(max_duration_s=2.0))  # the worker's settings
    assert await refusal("good", activities=short) == "the video is 4.0 s long; the limit is 2.0 s"
    assert "30 frames per second; the limit is 24" in await refusal("good", limits=MediaLimits(max_fps=24))
    assert "120 frames; the limit is 60" in await refusal("good", limits=MediaLimits(max_frames=60))


def _upright(path: Path, at_s: float) -> np.ndarray:
    """The frame at at_s as the ffmpeg CLI shows it (it applies the display rotation)."""
    args = ["-hide_banner", "-loglevel", "error", "-ss", str(at_s), "-i", str(path), "-frames:v", "1"]
    png = subprocess.run([ffmpeg_exe(), *args, "-f", "image2pipe", "-c:v", "png", "-"], capture_output=True, check=True)
    return np.asarray(Image.open(io.BytesIO(png.stdout)).convert("RGB"), dtype=np.int16)


async def test_a_phone_video_is_analysed_and_clipped_upright(
    s3: Any, stack_settings: Settings, videos: dict[str, Path], tmp_path: Path
) -> None:
    bucket, env = stack_settings.r2_client_assets_bucket, ActivityEnvironment()
    key = await _stored(s3, stack_settings, videos["phone"])
    frames = await env.run(MediaActivities(s3).extract_frames, ExtractFramesInput(
        creative_id=uuid.uuid4(), analysis_id=uuid.uuid4(), video_key=key, frames_bucket=bucket,
        timestamps=[0.0, 3.0, 10.0], max_edge=1280,
    ))  # fmt: skip
    for frame in frames.frames:
        assert (frame.width, frame.height) == (360, 640)
        stored = await s3.get_object(Bucket=bucket, Key=ObjectRef.parse(frame.key).key)
        image = np.asarray(Image.open(io.BytesIO(await stored["Body"].read())).convert("RGB"), dtype=np.int16)
        assert np.abs(image - _upright(videos["phone"], frame.timestamp_s)).mean() < 6  # JPEG noise, not 90°

    clips = ClipMediaActivities(s3)
    shots = await env.run(clips.detect_shots, ShotsInput(video_key=key))
    assert (shots.width, shots.height) == (360, 640)
    cut = await env.run(clips.cut_clip, CutClipInput(video_asset_id=uuid.uuid4(), clip_id=uuid.uuid4(),
                                                     video_key=key, clips_bucket=bucket, start_s=0.0, end_s=3.0,
                                                     vertical_crop=False))  # fmt: skip
    assert (cut.features.width, cut.features.height) == (360, 640)
    stored = await s3.get_object(Bucket=bucket, Key=ObjectRef.parse(cut.clip_key).key)
    (tmp_path / "clip.mp4").write_bytes(await stored["Body"].read())
    with av.open(str(tmp_path / "clip.mp4")) as container:
        first = next(container.decode(video=0))
        assert (first.width, first.height, first.rotation) == (360, 640, 0)  # upright pixels, nothing to turn


async def test_long_steps_heartbeat_every_few_seconds_and_stream_the_crop(
    s3: Any, stack_settings: Settings, videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heartbeat, "HEARTBEAT_EVERY_S", 0.2)
    monkeypatch.setattr(clip_media, "SINGLE_PUT_BYTES", 1024)  # the crop goes up in parts from the file
    monkeypatch.setattr(clip_media, "UPLOAD_PART_BYTES", 1024)
    beats: list[tuple[float, Any]] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append((time.monotonic(), details[0] if details else None))
    key = await _stored(s3, stack_settings, videos["long"])
    started = time.monotonic()
    await env.run(MediaActivities(s3).probe_video, ProbeVideoInput(key=key))
    shots = await env.run(ClipMediaActivities(s3).detect_shots, ShotsInput(video_key=key))
    times = [started, *(t for t, _ in beats), time.monotonic()]
    assert max(b - a for a, b in itertools.pairwise(times)) < 1.0  # never a silent second
    assert any("finding shots" in str(detail) for _, detail in beats)
    crop = ObjectRef.parse(key)
    stored = await s3.get_object(Bucket=crop.bucket, Key=f"{crop.key}.shots/vertical.mp4")
    assert shots.duration_s == pytest.approx(40.0, abs=0.1) and stored["ContentLength"] > 1024


def _ffmpeg_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]


async def _cancel_mid_work(step: Any, params: Any, progress: str, busy: Any = None) -> float:
    """Run an activity until its heartbeats show `progress` (and busy() holds), cancel it: seconds it took to end."""
    env, working = ActivityEnvironment(), asyncio.Event()

    def on_heartbeat(*details: Any) -> None:
        if details and str(details[0]).startswith(progress) and (busy is None or busy()):
            working.set()

    env.on_heartbeat = on_heartbeat
    task = asyncio.create_task(env.run(step, params))
    await asyncio.wait_for(working.wait(), 30)
    assert not task.done()  # mid-work
    cancelled_at = time.monotonic()
    env.cancel()
    with pytest.raises((asyncio.CancelledError, CancelledError)):
        await task
    return time.monotonic() - cancelled_at


async def test_a_cancelled_activity_stops_its_ffmpeg_work(
    s3: Any, stack_settings: Settings, videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heartbeat, "HEARTBEAT_EVERY_S", 0.2)
    key = await _stored(s3, stack_settings, videos["long"])
    bucket, clips = stack_settings.r2_client_assets_bucket, ClipMediaActivities(s3)
    await ActivityEnvironment().run(clips.detect_shots, ShotsInput(video_key=key))
    # as if FFmpeg had refused the pass's crop: the 9:16 clip is re-encoded from the source, seconds of work
    samples = ObjectRef.parse(key)
    stored = await s3.get_object(Bucket=samples.bucket, Key=f"{samples.key}.shots/shots.json")
    refused = ShotPass.model_validate_json(await stored["Body"].read())
    refused = refused.model_copy(update={"vertical": None, "vertical_keyframes_s": [], "vertical_packets": []})
    await s3.put_object(Bucket=samples.bucket, Key=f"{samples.key}.shots/shots.json", Body=refused.model_dump_json())
    cut = CutClipInput(video_asset_id=uuid.uuid4(), clip_id=uuid.uuid4(), video_key=key, clips_bucket=bucket,
                       start_s=0.0, end_s=30.0, vertical_crop=True)  # fmt: skip
    # the CLI's work, then PyAV's in a thread: each ends within seconds, leaving no ffmpeg process
    assert await _cancel_mid_work(clips.cut_clip, cut, "cutting:", _ffmpeg_children) < 5
    assert not _ffmpeg_children()
    for name in ("shots.json", "vertical.mp4"):  # the finished pass's files, so the cancelled one's would show
        await s3.delete_object(Bucket=samples.bucket, Key=f"{samples.key}.shots/{name}")
    assert await _cancel_mid_work(clips.detect_shots, ShotsInput(video_key=key), "finding shots:") < 5
    stored = await s3.list_objects_v2(Bucket=bucket, Prefix=f"clips/{cut.video_asset_id}/")
    source = ObjectRef.parse(key)
    passes = await s3.list_objects_v2(Bucket=source.bucket, Prefix=f"{source.key}.shots/")
    assert stored.get("KeyCount", 0) == passes.get("KeyCount", 0) == 0  # nothing stored by either
