"""The usage examples of docs/contract/, written as they are written there, run through ugc_client on the real stack."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.auth import issue_token
from devstack.samples import make_test_video
from models.schemas.benchmarks import BenchmarkOut, BenchmarkPage, IngestBenchmarkOutput
from models.schemas.campaigns import BestClipOut, OrchestrateCampaignResponse
from models.schemas.common import WorkflowSignalled, WorkflowStarted, WorkflowStatus
from models.schemas.creatives import CreativeOut, VideoAccess
from settings import Settings
from tests.conftest import TEST_MAX_VIDEO_BYTES
from ugc_client import (
    AsyncUgcClient,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UgcClient,
    Unauthorized,
    UnsupportedMediaType,
)

pytestmark = pytest.mark.usefixtures("worker")

ClientFor = Callable[[str | None], AsyncUgcClient]


@pytest.fixture
async def client_for(app: FastAPI) -> AsyncIterator[ClientFor]:
    """AsyncUgcClient over the ASGI app, one per token (None: anonymous); closed after the test."""
    made: list[AsyncUgcClient] = []

    def make(token: str | None) -> AsyncUgcClient:
        made.append(AsyncUgcClient("http://test", token, transport=httpx.ASGITransport(app=app)))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


async def _creative_when(
    client: AsyncUgcClient, creative_id: uuid.UUID, done: Callable[[CreativeOut], bool]
) -> CreativeOut:
    async with asyncio.timeout(180):
        while True:
            creative = await client.get_creative(creative_id)
            if done(creative):
                return creative
            await asyncio.sleep(0.5)


async def test_example_1_ingest_fb_ad_library_winner(
    client_for: ClientFor, admin_token: str, media_dir: Path, file_server: str
) -> None:
    make_test_video(media_dir / "fb-winner.mp4", duration_s=4.0)
    client = client_for(admin_token)
    ingest_benchmark_video = client.ingest_benchmark_video

    result = await ingest_benchmark_video(
        video_url=f"{file_server}/fb-winner.mp4",  # the contract's facebook.com URL, served locally
        creative_name="FB Winner: 'Too Busy to Learn?'",
        product_category="language_learning",
        market_cvr=0.05,  # 5% CVR from FB insights
        market_longevity_days=30,  # Ran for 30 days
        source_platform="facebook_ad_library",
        avg_daily_clicks=1000,  # Estimated traffic
        hook_type="problem_agitation",
        emotion="frustration",
        pacing="fast",
        target_audience_pain="no_time",
    )

    assert isinstance(result, WorkflowStarted) and isinstance(result.creative_id, uuid.UUID)
    seen: list[WorkflowStatus] = []
    state = await client.wait_for_workflow(result.workflow_id, on_progress=seen.append, timeout=300)
    assert state.status == "COMPLETED", state.failure
    assert seen and all(s.status == "RUNNING" for s in seen)
    ingested = IngestBenchmarkOutput.model_validate(state.result)
    # α = conversions + 1 = 30 × 1000 × 5% + 1, β = clicks − conversions + 1 (docs/contract/market-ingestion.md)
    assert (ingested.bayesian_alpha, ingested.bayesian_beta) == (pytest.approx(51), pytest.approx(951))
    creative = await client.get_creative(result.creative_id)  # is_benchmark=True, is_public=True
    assert creative.is_benchmark is True and creative.is_public is True
    assert creative.source_platform == "facebook_ad_library" and creative.pacing == "fast"
    # Claude Vision analysis triggered IMMEDIATELY: the creative's analysis workflow was started by the ingest
    analysis = await client.get_workflow(ingested.analysis_workflow_id)
    assert analysis.workflow_type == "AnalyzeCreativeWorkflow" and analysis.workflow_id == f"creative-{creative.id}"

    # Example 3: the public library, no auth needed
    page = await client_for(None).list_benchmarks(product_category="language_learning", limit=100)
    assert isinstance(page, BenchmarkPage) and page.total >= 1
    item = next(i for i in page.items if i.creative_id == result.creative_id)
    assert isinstance(item, BenchmarkOut)
    assert (item.creative_name, item.market_cvr, item.market_longevity_days) == (
        "FB Winner: 'Too Busy to Learn?'", 0.05, 30
    )  # fmt: skip
    assert (item.hook_type, item.emotion, item.target_audience_pain) == ("problem_agitation", "frustration", "no_time")
    assert item.bayesian_alpha == pytest.approx(51) and isinstance(item.video_url, str)


async def test_usage_ingest_benchmark_video_as_written(
    client_for: ClientFor, admin_token: str, media_dir: Path, file_server: str
) -> None:
    """Section 1's "Usage": the optional pattern fields left out."""
    make_test_video(media_dir / "fb-usage.mp4", duration_s=4.0)
    client = client_for(admin_token)
    ingest_benchmark_video = client.ingest_benchmark_video

    result = await ingest_benchmark_video(
        video_url=f"{file_server}/fb-usage.mp4",
        creative_name="FB Winner: 'Too Busy to Learn?'",
        product_category="language_learning",
        market_cvr=0.05,  # 5% CVR
        market_longevity_days=30,  # Ran for 30 days
        source_platform="facebook_ad_library",
        avg_daily_clicks=1000,  # 1000 clicks/day
        hook_type="problem_agitation",  # Optional
        emotion="frustration",  # Optional
    )

    state = await client.wait_for_workflow(result.workflow_id, timeout=300)
    assert state.status == "COMPLETED", state.failure
    assert IngestBenchmarkOutput.model_validate(state.result).bayesian_alpha == pytest.approx(51)


async def test_examples_2_to_4_client_video_access_and_force_analyze(
    client_for: ClientFor, admin_token: str, stack_settings: Settings, media_dir: Path
) -> None:
    video_bytes = make_test_video(media_dir / "my_creative.mp4", duration_s=3.0).read_bytes()
    storage = client_for(issue_token(stack_settings, "client_uuid_123"))

    # Example 2: Client Video Upload (PRIVATE)
    internal_key = await storage.upload_client_video(
        file_content=video_bytes, filename="my_creative.mp4", user_id="client_uuid_123"
    )

    # over HTTP the answer names the creative and its workflow; the r2:// key stays inside the service
    assert isinstance(internal_key, WorkflowStarted)
    assert internal_key.workflow_id == f"creative-{internal_key.creative_id}"
    with pytest.raises(ValueError, match="token subject"):  # the owner is the token's subject, nobody else
        await storage.upload_client_video(file_content=video_bytes, filename="my_creative.mp4", user_id="someone")
    creative = await _creative_when(storage, internal_key.creative_id, lambda c: c.status != "pending")
    assert (creative.status, creative.is_public, creative.is_benchmark) == ("ready", False, False)
    assert (creative.name, creative.original_filename) == ("my_creative.mp4", "my_creative.mp4")

    # Example 3: Get Video Access with JWT: a presigned URL that expires in 1 hour
    access = await storage.generate_client_video_access_url(internal_key.creative_id)
    assert isinstance(access, VideoAccess)
    assert access.model_dump().keys() == {"creative_id", "creative_name", "video_url", "is_public", "expires_in"}
    assert (access.creative_id, access.creative_name) == (internal_key.creative_id, "my_creative.mp4")
    assert access.is_public is False and access.expires_in == 3600
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.get(access.video_url)).content == video_bytes

    # Example 4: Force Analyze (admin)
    signalled = await client_for(admin_token).force_analyze(internal_key.creative_id)
    assert isinstance(signalled, WorkflowSignalled) and signalled.workflow_id == internal_key.workflow_id
    analyzed = await _creative_when(
        storage, internal_key.creative_id, lambda c: c.analysis_status == "analyzed" and bool(c.analyses)
    )
    assert [analysis.trigger for analysis in analyzed.analyses] == ["force"]


async def test_campaigns_engine_usage_examples(
    client_for: ClientFor, stack_settings: Settings, media_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = client_for(issue_token(stack_settings, f"brand-{uuid.uuid4().hex[:6]}"))
    source = make_test_video(media_dir / "campaign-asset.mp4", duration_s=8.0, width=360, height=640)
    asset = await client.upload_video_asset(file_content=source, name="campaign asset", product_category="skincare")
    progress: list[str | None] = []
    prepared = await client.wait_for_workflow(asset.workflow_id, on_progress=lambda s: progress.append(s.progress))
    assert prepared.status == "COMPLETED", prepared.failure
    assert progress  # polled while it ran (its first poll comes right after the upload)
    clips = await client.list_clips(asset.video_asset_id)
    assert clips and all(clip.status == "READY" for clip in clips)
    get_best_clip_decision = client.get_best_clip_decision
    orchestrate_campaigns_for_video = client.orchestrate_campaigns_for_video

    async def orchestrate_campaigns_for_a_video(my_video_uuid: uuid.UUID) -> OrchestrateCampaignResponse:
        response = await orchestrate_campaigns_for_video(
            video_asset_id=my_video_uuid, platforms=["tiktok", "instagram", "youtube"]
        )

        print(f"Created {len(response.campaigns_created)} campaigns")
        for decision in response.decisions:
            print(f"{decision.platform}: clip {decision.clip_id} (score: {decision.score:.2f})")
        return response

    async def check_previously_selected_clip(my_video_uuid: uuid.UUID) -> BestClipOut | None:
        decision = await get_best_clip_decision(video_asset_id=my_video_uuid, platform="instagram")

        if decision:
            print(f"Instagram best clip: {decision.clip_id} (score: {decision.score:.2f})")
        else:
            print("No decision found - orchestrate first")
        return decision

    assert await check_previously_selected_clip(asset.video_asset_id) is None
    response = await orchestrate_campaigns_for_a_video(asset.video_asset_id)
    assert isinstance(response, OrchestrateCampaignResponse)
    assert {d.platform for d in response.decisions} == {"tiktok", "instagram", "youtube"}
    clip_ids = {clip.id for clip in clips}
    for d in response.decisions:
        assert d.video_asset_id == asset.video_asset_id and d.clip_id in clip_ids and 0 <= d.score <= 1
    # campaigns-engine.md's answer: decisions with video_asset_id, platform, clip_id, score, decided_at; campaign ids
    assert all(isinstance(d.clip_id, uuid.UUID) and isinstance(d.decided_at, datetime) for d in response.decisions)
    assert len(response.campaigns_created) == 3 and all(isinstance(c, uuid.UUID) for c in response.campaigns_created)
    best_by_platform = {d.platform: d for d in response.decisions}
    best = best_by_platform["instagram"]
    decision = await check_previously_selected_clip(asset.video_asset_id)
    assert isinstance(decision, BestClipOut)
    assert (decision.video_asset_id, decision.platform) == (asset.video_asset_id, "instagram")
    assert (decision.clip_id, decision.score) == (best.clip_id, pytest.approx(best.score))
    assert isinstance(decision.decided_at, datetime) or datetime.fromisoformat(decision.decided_at)

    # what the orchestration left behind, through the read endpoints
    detail = await client.get_video_asset(asset.video_asset_id)
    assert (detail.clips_ready, {d.platform for d in detail.decisions}) == (len(clips), set(best_by_platform))
    listed = await client.list_campaigns(video_asset_id=asset.video_asset_id)
    assert {c.id for c in listed.items} == set(response.campaigns_created) and listed.total == 3
    campaign = await client.get_campaign(response.campaigns_created[0])
    assert campaign.status == "draft" and campaign.clip_id == best_by_platform[campaign.platform].clip_id
    events = await client.list_ledger_events(entity_id=asset.video_asset_id, event_type="best_clip_selected")
    assert {e.metadata["platform"] for e in events.items} == set(best_by_platform)
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == ["No decision found - orchestrate first", "Created 3 campaigns"] and len(printed) == 6
    assert printed[-1] == f"Instagram best clip: {decision.clip_id} (score: {decision.score:.2f})"


async def test_errors_are_typed(
    client_for: ClientFor, user_token: str, stack_settings: Settings, media_dir: Path
) -> None:
    owner = client_for(user_token)
    video = make_test_video(media_dir / "private.mp4", duration_s=1.0)
    mine = await owner.upload_client_video(file_content=video)
    other = client_for(issue_token(stack_settings, "user-2"))
    with pytest.raises(NotFound) as missing:  # another user's creative answers like a missing one
        await other.generate_client_video_access_url(mine.creative_id)
    assert (missing.value.status, missing.value.error) == (404, "not_found")
    with pytest.raises(NotFound):
        await other.get_creative(mine.creative_id)
    with pytest.raises(Unauthorized) as anonymous:
        await client_for(None).get_creative(mine.creative_id)
    assert anonymous.value.status == 401 and isinstance(anonymous.value.detail, str)
    with pytest.raises(Forbidden):
        await owner.force_analyze(mine.creative_id)
    with pytest.raises(InvalidInput) as invalid:
        await owner.orchestrate_campaigns_for_video(uuid.uuid4(), ["myspace"])
    assert invalid.value.status == 422 and invalid.value.detail[0]["field"] == "platforms"
    with pytest.raises(InvalidInput):
        await client_for(None).list_benchmarks(limit=0)
    with pytest.raises(UnsupportedMediaType):
        await owner.upload_client_video(file_content=b"not a video at all", filename="notes.mp4")
    with pytest.raises(PayloadTooLarge):
        await owner.upload_client_video(file_content=b"\0" * (TEST_MAX_VIDEO_BYTES + 2**20), filename="big.mp4")
    assert await other.get_best_clip_decision(uuid.uuid4(), "tiktok") is None


def _sync_story(base_url: str, admin_token: str, video: Path) -> tuple[Any, ...]:
    with UgcClient(base_url, admin_token) as ugc:
        started = ugc.ingest_benchmark_video(
            file_content=video, creative_name="Sync upload", product_category="sync-client", market_cvr=0.02,
            market_longevity_days=10, avg_daily_clicks=50, source_platform="tiktok",
        )  # fmt: skip
        seen: list[WorkflowStatus] = []
        state = ugc.wait_for_workflow(started.workflow_id, on_progress=seen.append, timeout=300)
        page = ugc.list_benchmarks("sync-client")
        with pytest.raises(NotFound):
            ugc.get_creative(uuid.uuid4())
        return started, state, seen, page, ugc.get_best_clip_decision(uuid.uuid4(), "youtube")


async def test_sync_client_over_http(served_api: str, admin_token: str, media_dir: Path) -> None:
    video = make_test_video(media_dir / "sync.mp4", duration_s=3.0)
    # in a thread: this test's event loop keeps running the worker while the blocking client waits
    started, state, seen, page, none = await asyncio.to_thread(_sync_story, served_api, admin_token, video)
    assert state.status == "COMPLETED", state.failure
    assert seen and all(s.workflow_id == started.workflow_id for s in seen)
    ingested = IngestBenchmarkOutput.model_validate(state.result)  # 500 clicks (under the cap), 10 conversions
    assert (ingested.bayesian_alpha, ingested.bayesian_beta) == (pytest.approx(11), pytest.approx(491))
    assert [item.creative_id for item in page.items] == [started.creative_id]
    assert none is None
