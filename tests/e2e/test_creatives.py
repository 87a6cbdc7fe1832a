"""Client creatives on the real stack: upload, probe, 5th-conversion analysis, force, video access."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Replayer

from api.auth import issue_token
from api.video_urls import generate_client_video_access_url
from devstack.samples import make_test_video, make_text_file, make_truncated_copy
from settings import Settings
from tests.conftest import TEST_MAX_VIDEO_BYTES, bearer
from workflows.catalog import ALL_WORKFLOWS

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture(scope="module")
def clips(media_dir: Path) -> dict[str, Path]:
    good = make_test_video(media_dir / "client.mp4", duration_s=12.0)
    return {
        "good": good,
        "text": make_text_file(media_dir / "client-notes.mp4"),
        "truncated": make_truncated_copy(good, media_dir / "client-truncated.mp4", keep_fraction=0.4),
    }


async def _upload(api: httpx.AsyncClient, token: str, path: Path, name: str = "Morning routine") -> httpx.Response:
    with path.open("rb") as handle:
        return await api.post(
            "/api/v1/creatives",
            headers=bearer(token),
            data={"creative_name": name, "product_category": "skincare", "tags": "UGC, Spring"},
            files={"file": ("whatever.bin", handle, "application/octet-stream")},
        )


async def _creative(api: httpx.AsyncClient, token: str, creative_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/creatives/{creative_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


async def _wait_for(api: httpx.AsyncClient, token: str, creative_id: str, **expected: Any) -> dict[str, Any]:
    for _ in range(240):
        creative = await _creative(api, token, creative_id)
        if all(creative[key] == value for key, value in expected.items()):
            return creative
        await asyncio.sleep(0.25)
    pytest.fail(f"creative never reached {expected}: {creative}")


async def _signals(temporal: Client, workflow_id: str, name: str) -> int:
    history = await temporal.get_workflow_handle(workflow_id).fetch_history()
    return sum(
        event.HasField("workflow_execution_signaled_event_attributes")
        and event.workflow_execution_signaled_event_attributes.signal_name == name
        for event in history.events
    )


async def _report(api: httpx.AsyncClient, token: str, creative_id: str, event: str, conversions: int) -> dict[str, Any]:
    body = {"event_id": event, "impressions": 100, "clicks": 10, "conversions": conversions}
    response = await api.post(f"/api/v1/creatives/{creative_id}/performance", headers=bearer(token), json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_client_video_lifecycle(
    api: httpx.AsyncClient,
    stack_settings: Settings,
    admin_token: str,
    temporal: Client,
    clips: dict[str, Path],
) -> None:
    owner = issue_token(stack_settings, f"user-{uuid.uuid4().hex[:8]}")
    other = issue_token(stack_settings, "someone-else")
    created = await _upload(api, owner, clips["good"])
    assert created.status_code == 201, created.text
    creative_id = created.json()["creative_id"]
    creative = await _wait_for(api, owner, creative_id, status="ready")
    assert creative["analysis_status"] == "waiting" and creative["is_public"] is False
    assert creative["tags"] == ["spring", "ugc"] and creative["original_filename"] == "whatever.bin"

    # 4 conversions: no analysis; a repeated event counts once
    assert (await _report(api, owner, creative_id, "day-1", 2))["counted"] is True
    assert (await _report(api, owner, creative_id, "day-1", 2))["counted"] is False
    totals = await _report(api, owner, creative_id, "day-2", 2)
    assert totals["conversions"] == 4
    assert (await _report(api, owner, creative_id, "clicks-only", 0))["counted"] is True
    await asyncio.sleep(1.0)
    status = await temporal.get_workflow_handle(created.json()["workflow_id"]).query("status")
    assert status["conversions"] == 4 and status["analyses_done"] == 0
    # only the reports that changed the conversions reached the workflow: not the repeat, not clicks-only
    assert await _signals(temporal, created.json()["workflow_id"], "record_conversions") == 2
    assert (await _creative(api, owner, creative_id))["analyses"] == []

    # the 5th conversion triggers the analysis
    await _report(api, owner, creative_id, "day-3", 1)
    analyzed = await _wait_for(api, owner, creative_id, analysis_status="analyzed")
    assert [analysis["trigger"] for analysis in analyzed["analyses"]] == ["conversions"]
    first = analyzed["analyses"][0]
    assert [round(t) for t in first["frame_timestamps"]] == [0, 3, 10]
    assert first["result"]["pacing"] in {"fast", "medium", "slow", "unknown"}
    assert any(tag.startswith("pacing:") for tag in analyzed["tags"])

    # an admin forces a re-analysis; a plain user may not; an unknown creative is 404
    user_force = await api.post(
        "/api/v1/creatives/force-analyze", headers=bearer(owner), json={"creative_id": creative_id}
    )
    assert user_force.status_code == 403
    missing = await api.post(
        "/api/v1/creatives/force-analyze",
        headers=bearer(admin_token),
        json={"creative_id": str(uuid.uuid4())},
    )
    assert missing.status_code == 404
    # two requests in a row: the second joins the analysis the first started (one paid analysis, not two)
    for _ in range(2):
        forced = await api.post(
            "/api/v1/creatives/force-analyze", headers=bearer(admin_token), json={"creative_id": creative_id}
        )
        assert forced.status_code == 202 and forced.json()["workflow_id"] == f"creative-{creative_id}"
    for _ in range(240):
        again = await _creative(api, owner, creative_id)
        if len(again["analyses"]) == 2 and again["analysis_status"] == "analyzed":
            break
        await asyncio.sleep(0.25)
    await asyncio.sleep(1.5)
    status = await temporal.get_workflow_handle(created.json()["workflow_id"]).query("status")
    assert status["analyses_done"] == 2 and status["pending_force"] == 0
    again = await _creative(api, owner, creative_id)
    assert [analysis["trigger"] for analysis in again["analyses"]] == ["conversions", "force"]
    assert again["analysis_status"] == "analyzed"

    # video access: the owner gets a working presigned URL; another user and an admin get 404
    access = await api.get(f"/api/v1/creatives/video-access/{creative_id}", headers=bearer(owner))
    assert access.status_code == 200
    body = access.json()
    assert body["is_public"] is False and body["expires_in"] == 3600
    async with httpx.AsyncClient() as plain:
        video = await plain.get(body["video_url"])
        assert video.status_code == 200 and video.content == clips["good"].read_bytes()
        assert (await plain.get(body["video_url"].split("?")[0])).status_code == 403  # unsigned: refused
    for token in (other, admin_token):
        denied = await api.get(f"/api/v1/creatives/video-access/{creative_id}", headers=bearer(token))
        assert denied.status_code == 404
        assert (
            denied.json()
            == (await api.get(f"/api/v1/creatives/video-access/{uuid.uuid4()}", headers=bearer(token))).json()
        )
    assert (await api.get(f"/api/v1/creatives/video-access/{creative_id}")).status_code == 401
    assert (await api.get(f"/api/v1/creatives/{creative_id}", headers=bearer(other))).status_code == 404
    assert (
        await api.post(
            f"/api/v1/creatives/{creative_id}/performance",
            headers=bearer(other),
            json={"event_id": "x", "impressions": 1, "clicks": 1, "conversions": 1},
        )
    ).status_code == 404

    handle = temporal.get_workflow_handle(created.json()["workflow_id"])
    history = await handle.fetch_history()
    await Replayer(workflows=ALL_WORKFLOWS, data_converter=temporal.data_converter).replay_workflow(history)


async def test_presigned_url_expires(s3: Any, stack_settings: Settings, clips: dict[str, Path]) -> None:
    key = f"videos/client_test/{uuid.uuid4()}.mp4"
    await s3.put_object(Bucket=stack_settings.r2_client_assets_bucket, Key=key, Body=b"\0" * 64)
    url = await generate_client_video_access_url(s3, f"r2://{stack_settings.r2_client_assets_bucket}/{key}", 1)
    async with httpx.AsyncClient() as plain:
        assert (await plain.get(url)).status_code == 200
        await asyncio.sleep(2.5)
        assert (await plain.get(url)).status_code == 403


async def test_public_benchmark_is_visible_to_any_user(
    api: httpx.AsyncClient,
    stack_settings: Settings,
    admin_token: str,
    temporal: Client,
    clips: dict[str, Path],
) -> None:
    with clips["good"].open("rb") as handle:
        started = await api.post(
            "/api/v1/benchmarks",
            headers=bearer(admin_token),
            files={"file": ("b.mp4", handle)},
            data={
                "creative_name": "bench",
                "product_category": "access",
                "market_cvr": "0.02",
                "market_longevity_days": "10",
                "avg_daily_clicks": "100",
            },
        )
    await temporal.get_workflow_handle(started.json()["workflow_id"]).result()
    anyone = issue_token(stack_settings, "anyone")
    creative_id = started.json()["creative_id"]
    access = (await api.get(f"/api/v1/creatives/video-access/{creative_id}", headers=bearer(anyone))).json()
    assert access["is_public"] is True and access["expires_in"] is None
    async with httpx.AsyncClient() as plain:
        assert (await plain.get(access["video_url"])).status_code == 200
    # a benchmark is analyzed without anyone asking
    analyzed = await _wait_for(api, anyone, creative_id, analysis_status="analyzed")
    assert [analysis["trigger"] for analysis in analyzed["analyses"]] == ["benchmark"]


async def test_plainly_not_a_video_is_415_and_too_large_is_413(
    api: httpx.AsyncClient, stack_settings: Settings, clips: dict[str, Path], media_dir: Path
) -> None:
    token = issue_token(stack_settings, "uploader")
    assert (await _upload(api, token, clips["text"])).status_code == 415
    big = media_dir / "client-big.mp4"
    big.write_bytes(clips["good"].read_bytes()[:64] + b"\0" * (TEST_MAX_VIDEO_BYTES + 1))
    too_large = await _upload(api, token, big)
    assert too_large.status_code == 413 and too_large.json()["error"] == "payload_too_large"


async def test_subtly_broken_video_fails_its_workflow(
    api: httpx.AsyncClient, stack_settings: Settings, temporal: Client, s3: Any, clips: dict[str, Path]
) -> None:
    token = issue_token(stack_settings, "uploader")
    created = await _upload(api, token, clips["truncated"])
    assert created.status_code == 201  # it starts like an MP4: only the probe can tell
    with pytest.raises(WorkflowFailureError) as failure:
        await temporal.get_workflow_handle(created.json()["workflow_id"]).result()
    assert getattr(failure.value.cause, "type", None) == "InvalidVideo"
    creative = await _creative(api, token, created.json()["creative_id"])
    assert creative["status"] == "failed" and "truncated" in creative["failure_reason"]
    # nothing left behind: the refused upload's object is deleted, the row keeps the reason
    listing = await s3.list_objects_v2(Bucket=stack_settings.r2_client_assets_bucket, Prefix="videos/")
    assert [item["Key"] for item in listing.get("Contents", []) if creative["id"] in item["Key"]] == []
