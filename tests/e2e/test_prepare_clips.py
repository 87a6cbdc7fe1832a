"""PrepareClipsWorkflow through the API: a horizontal, a silent and a 5 s video clip and score sensibly; a
refused upload leaves no object; a failed shot pass (time-skipping server, activities by name) is recorded."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from api.auth import issue_token
from devstack.samples import ffmpeg_exe, make_test_video, make_truncated_copy
from models.schemas.clips import AssetProbeInput, PrepareClipsInput, ShotsInput
from models.schemas.common import Done
from models.schemas.media import DeleteObjectsInput, ProbeVideoInput, VideoProbe
from settings import Settings
from storage.keys import shot_pass_keys
from tests.conftest import bearer
from tests.support.temporal_env import start_time_skipping
from workflows.catalog import ALL_WORKFLOWS
from workflows.prepare_clips import PrepareClipsWorkflow
from workflows.queues import TASK_QUEUE_MAIN, TASK_QUEUE_MEDIA, TASK_QUEUE_TRANSFER

pytestmark = pytest.mark.usefixtures("worker")


async def _prepare(api: httpx.AsyncClient, token: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        response = await api.post(
            "/api/v1/video-assets",
            headers=bearer(token),
            files={"file": (path.name, handle)},
            data={"name": path.stem, "product_category": "clips"},
        )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("name", "width", "height", "seconds", "audio"),
    [("horizontal", 1280, 720, 20.0, True), ("silent", 360, 640, 12.0, False), ("short", 360, 640, 5.0, True)],
)
async def test_clips_are_cut_measured_and_scored(
    api: httpx.AsyncClient,
    stack_settings: Settings,
    temporal: Client,
    s3: Any,
    media_dir: Path,
    name: str,
    width: int,
    height: int,
    seconds: float,
    audio: bool,
) -> None:
    token = issue_token(stack_settings, f"clipper-{uuid.uuid4().hex[:6]}")
    video = make_test_video(
        media_dir / f"asset-{name}.mp4", duration_s=seconds, width=width, height=height, audio=audio
    )
    started = await _prepare(api, token, video)
    handle = temporal.get_workflow_handle(started["workflow_id"])
    result = await handle.result()
    assert result["clips_ready"] >= 1 and result["clips_failed"] == 0
    # the shot pass's crop and shots.json served the clips and are gone; the source and the clips stay
    bucket, asset_id = stack_settings.r2_client_assets_bucket, started["video_asset_id"]
    listing = await s3.list_objects_v2(Bucket=bucket, Prefix="assets/")
    kept = [item["Key"] for item in listing.get("Contents", []) if asset_id in item["Key"]]
    assert len(kept) == 1 and ".shots" not in kept[0], kept
    clip_objects = await s3.list_objects_v2(Bucket=bucket, Prefix=f"clips/{asset_id}/")
    assert clip_objects["KeyCount"] == result["clips_ready"]
    clips = (await api.get(f"/api/v1/video-assets/{started['video_asset_id']}/clips", headers=bearer(token))).json()
    assert all(clip["status"] == "READY" and clip["clip_key"] for clip in clips)
    for clip in clips:
        features = clip["features"]
        assert 0 <= clip["start_s"] < clip["end_s"] <= seconds + 0.05
        assert features["duration_s"] == pytest.approx(clip["end_s"] - clip["start_s"], abs=0.2)
        assert features["has_audio"] is audio
        assert (features["loudness_lufs"] is None) is (not audio)
    variants = {clip["variant"] for clip in clips}
    if width > height:  # a horizontal source also gets 9:16 crops
        assert variants == {"original", "vertical"}
        vertical = [c["features"] for c in clips if c["variant"] == "vertical"]
        assert all(abs(f["width"] / f["height"] - 9 / 16) < 0.02 for f in vertical)
    else:
        assert variants == {"original"}
    if seconds <= 5:
        assert [(c["start_s"], c["end_s"]) for c in clips] == [(0.0, pytest.approx(5.0, abs=0.05))]

    orchestrated = await api.post(
        "/campaigns/orchestrate", headers=bearer(token), json={"video_asset_id": started["video_asset_id"]}
    )
    assert orchestrated.status_code == 200, orchestrated.text
    decisions = {d["platform"]: d for d in orchestrated.json()["decisions"]}
    assert all(0 <= d["score"] <= 1 for d in decisions.values())
    if width > height:  # TikTok wants 9:16: a crop wins over the 16:9 original
        winner = next(c for c in clips if c["id"] == decisions["tiktok"]["clip_id"])
        assert winner["variant"] == "vertical"
    if not audio:
        assert decisions["tiktok"]["breakdown"]["audio"] == 0.0
    history = await handle.fetch_history()
    await Replayer(workflows=ALL_WORKFLOWS, data_converter=temporal.data_converter).replay_workflow(history)


def _middle_hook_video(path: Path) -> Path:
    """48 s, 640x360: a still, silent 24 s opening; 12 s of quick cuts (1.5 s shots) with a tone; a still end."""
    quick = [f"{('testsrc2', 'smptehdbars', 'rgbtestsrc')[i % 3]}=s=640x360:r=30,trim=duration=1.5,"
             f"format=yuv420p,hue=h={45 * i}[q{i}]" for i in range(8)]  # fmt: skip
    graph = ";".join([
        "color=c=0x505050:s=640x360:r=30:d=24,format=yuv420p[a]", *quick,
        "color=c=0x705030:s=640x360:r=30:d=12,format=yuv420p[z]",
        "[a]" + "".join(f"[q{i}]" for i in range(8)) + "[z]concat=n=10[v]",
    ])  # fmt: skip
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-filter_complex", graph,
         "-f", "lavfi", "-i", "aevalsrc='0.3*sin(2*PI*440*t)*between(t,24,36)':s=48000:d=48",
         "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-g", "60", "-sc_threshold", "0", "-c:a", "aac",
         "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


async def test_a_hook_in_the_middle_of_the_video_is_cut_and_chosen(
    api: httpx.AsyncClient, stack_settings: Settings, temporal: Client, media_dir: Path
) -> None:
    token = issue_token(stack_settings, f"hook-{uuid.uuid4().hex[:6]}")
    started = await _prepare(api, token, _middle_hook_video(media_dir / "middle-hook.mp4"))
    handle = temporal.get_workflow_handle(started["workflow_id"])
    result = await handle.result()
    assert result["clips_failed"] == 0 and result["clips_ready"] >= 8
    asset_id = started["video_asset_id"]
    clips = (await api.get(f"/api/v1/video-assets/{asset_id}/clips", headers=bearer(token))).json()
    # the candidates start all over the video, not only in its opening
    starts = {round(clip["start_s"], 1) for clip in clips}
    assert len(starts) >= 4 and any(24.0 <= s < 36.0 for s in starts) and {0.0} < starts
    orchestrated = await api.post("/campaigns/orchestrate", headers=bearer(token), json={"video_asset_id": asset_id})
    assert orchestrated.status_code == 200, orchestrated.text
    for platform in ("tiktok", "instagram", "youtube"):
        params = {"video_asset_id": asset_id, "platform": platform}
        best = (await api.get("/campaigns/best_clip", params=params, headers=bearer(token))).json()
        # the quick cuts, the sound and the dynamic start are in the middle: the winner opens there
        assert 24.0 - 0.05 <= best["start_s"] < 36.0, (platform, best)
        assert best["num_candidates"] == result["clips_ready"]
        assert best["runner_up"] is not None and best["runner_up"]["score"] <= best["score"]
        assert best["why"].startswith(f"best of {result['clips_ready']} candidates")
    history = await handle.fetch_history()
    await Replayer(workflows=ALL_WORKFLOWS, data_converter=temporal.data_converter).replay_workflow(history)


async def test_a_broken_asset_fails_cleanly(
    api: httpx.AsyncClient, stack_settings: Settings, temporal: Client, s3: Any, media_dir: Path
) -> None:
    token = issue_token(stack_settings, "clipper-broken")
    good = make_test_video(media_dir / "asset-good.mp4", duration_s=6)
    started = await _prepare(api, token, make_truncated_copy(good, media_dir / "asset-broken.mp4", keep_fraction=0.4))
    with pytest.raises(WorkflowFailureError) as failure:
        await temporal.get_workflow_handle(started["workflow_id"]).result()
    assert getattr(failure.value.cause, "type", None) == "InvalidVideo"
    asset_id = started["video_asset_id"]  # the refused upload's object is gone; the asset says why
    listing = await s3.list_objects_v2(Bucket=stack_settings.r2_client_assets_bucket, Prefix="assets/")
    assert [item["Key"] for item in listing.get("Contents", []) if asset_id in item["Key"]] == []
    refused = await api.post(
        "/campaigns/orchestrate", headers=bearer(token), json={"video_asset_id": started["video_asset_id"]}
    )
    assert refused.status_code == 422 and "refused" in refused.text


class ShotPassMocks:
    """probe_video accepts (unless `bad_video`), detect_shots fails as a broken decode would; records calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.bad_video = False

    @activity.defn(name="probe_video")
    async def probe_video(self, params: ProbeVideoInput) -> VideoProbe:
        self.calls.append(("probe_video", params))
        if self.bad_video:
            raise ApplicationError("the video is damaged", type="InvalidVideo", non_retryable=True)
        return VideoProbe(container="mp4", extension="mp4", codec="h264", duration_s=20, width=1280, height=720,
                          has_audio=True, size_bytes=1000)  # fmt: skip

    @activity.defn(name="detect_shots")
    async def detect_shots(self, params: ShotsInput) -> None:
        self.calls.append(("detect_shots", params))
        raise ApplicationError("cannot decode frame 120", type="ShotPassBroken", non_retryable=True)

    @activity.defn(name="record_asset_probe")
    async def record_asset_probe(self, params: AssetProbeInput) -> Done:
        self.calls.append(("record_asset_probe", params))
        return Done()

    @activity.defn(name="delete_objects")
    async def delete_objects(self, params: DeleteObjectsInput) -> Done:
        self.calls.append(("delete_objects", params))
        return Done()


@pytest.fixture
async def shot_mocks() -> AsyncIterator[tuple[WorkflowEnvironment, ShotPassMocks]]:
    env = await start_time_skipping()
    mocks = ShotPassMocks()
    async with (
        Worker(env.client, task_queue=TASK_QUEUE_MAIN, workflows=ALL_WORKFLOWS, activities=[mocks.record_asset_probe]),
        Worker(env.client, task_queue=TASK_QUEUE_MEDIA, activities=[mocks.probe_video, mocks.detect_shots]),
        Worker(env.client, task_queue=TASK_QUEUE_TRANSFER, activities=[mocks.delete_objects]),
    ):
        yield env, mocks
    await env.shutdown()


@pytest.mark.parametrize("bad_video", [False, True], ids=["shot-pass-fails", "probe-refuses"])
async def test_a_video_that_cannot_be_clipped_fails_its_asset_with_the_reason(
    shot_mocks: tuple[WorkflowEnvironment, ShotPassMocks], bad_video: bool
) -> None:
    env, mocks = shot_mocks
    mocks.bad_video = bad_video
    params = PrepareClipsInput(video_asset_id=uuid.uuid4(), video_key="r2://b/assets/v.mp4", clips_bucket="b")
    handle = await env.client.start_workflow(
        PrepareClipsWorkflow.run, params, id=f"clips-{params.video_asset_id}", task_queue=TASK_QUEUE_MAIN
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    expected = "InvalidVideo" if bad_video else "ShotPassBroken"
    assert getattr(failure.value.cause, "type", None) == expected
    recorded = [p for name, p in mocks.calls if name == "record_asset_probe"]
    deleted = [p.keys for name, p in mocks.calls if name == "delete_objects"]
    if bad_video:  # the refused upload is deleted
        assert [p.probe is None for p in recorded] == [True] and deleted == [[params.video_key]]
    else:  # not left `clipping`: failed with the reason; the pass's working files go
        assert [p.probe is None for p in recorded] == [False, True]
        assert recorded[-1].reason == "the shot pass failed: cannot decode frame 120"
        assert deleted == [shot_pass_keys(params.video_key)]
    history = await handle.fetch_history()
    await Replayer(workflows=ALL_WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(history)
