"""The campaigns engine on the real stack: campaigns-engine.md's six tests (docs/contract/), concurrency, replay."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Replayer

from activities.campaigns import CampaignActivities, current_weights
from api.auth import issue_token
from domain.posterior import PatternRow
from domain.rules import ClipFeatures, evaluate_clip
from domain.selection import PatternEvidence, category_baseline, clip_posterior
from models.schemas.campaigns import CreateCampaignInput, PlatformDecision, ScorePlatformInput
from models.tables import BestClipDecision, Campaign, Clip, PatternPerformance, SocialSyncLedger, VideoAsset
from settings import Settings
from tests.conftest import bearer
from tests.support.clip_features import VERTICAL_12S
from workflows.catalog import ALL_WORKFLOWS

pytestmark = pytest.mark.usefixtures("worker")

WIDE_70S = {
    "duration_s": 70,
    "width": 1920,
    "height": 1080,
    "has_audio": False,
    "cuts_per_5s": 0.2,
    "dynamic_start": False,
    "face_in_first_seconds": False,
    "loudness_lufs": None,
}
VERTICAL_25S = {**VERTICAL_12S, "duration_s": 25, "cuts_per_5s": 2.0}
VERTICAL_45S = {**VERTICAL_12S, "duration_s": 45, "cuts_per_5s": 1.0, "dynamic_start": False}


async def _asset(db: Any, owner: str, category: str = "skincare") -> uuid.UUID:
    asset_id = uuid.uuid4()
    async with db.begin() as session:
        session.add(VideoAsset(id=asset_id, owner_id=owner, name="asset", product_category=category, status="ready"))
    return asset_id


async def _register(api: httpx.AsyncClient, token: str, asset_id: uuid.UUID, clips: list[dict[str, Any]]) -> list[str]:
    body = [{"start_s": 0, "end_s": clip["duration_s"], "features": clip} for clip in clips]
    response = await api.post(f"/api/v1/video-assets/{asset_id}/clips", headers=bearer(token), json=body)
    assert response.status_code == 201, response.text
    return [clip["id"] for clip in response.json()]


async def _orchestrate(api: httpx.AsyncClient, token: str, asset_id: uuid.UUID, **extra: Any) -> httpx.Response:
    return await api.post(
        "/campaigns/orchestrate", headers=bearer(token), json={"video_asset_id": str(asset_id), **extra}
    )


async def test_select_best_clip_for_platform_simple(api: httpx.AsyncClient, stack_settings: Settings, db: Any) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    asset_id = await _asset(db, owner)
    good, _wide = await _register(api, token, asset_id, [VERTICAL_12S, WIDE_70S])
    async with db.begin() as session:  # a better clip still being cut is not a candidate
        session.add(
            Clip(
                id=uuid.uuid4(),
                video_asset_id=asset_id,
                status="PENDING",
                start_s=0,
                end_s=12,
                features={**VERTICAL_12S, "loudness_lufs": -14.0},
            )
        )
    decision = await ActivityEnvironment().run(
        CampaignActivities(db).score_platform, ScorePlatformInput(video_asset_id=asset_id, platform="TikTok")
    )
    assert str(decision.clip_id) == good and decision.num_candidates == 2
    assert 0 <= decision.score <= 1 and decision.platform == "tiktok"


async def test_select_best_clips_for_multiple_platforms(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    asset_id = await _asset(db, owner)
    await _register(api, token, asset_id, [VERTICAL_12S, VERTICAL_25S, VERTICAL_45S, WIDE_70S])
    response = await _orchestrate(api, token, asset_id, platforms=["tiktok", "instagram", "youtube"])
    assert response.status_code == 200, response.text
    decisions = {d["platform"]: d for d in response.json()["decisions"]}
    assert set(decisions) == {"tiktok", "instagram", "youtube"}
    assert all(d["num_candidates"] == 4 for d in decisions.values())
    async with db() as session:
        stored = (
            await session.scalars(select(BestClipDecision).where(BestClipDecision.video_asset_id == asset_id))
        ).all()
    assert {row.platform: str(row.clip_id) for row in stored} == {p: d["clip_id"] for p, d in decisions.items()}


async def test_create_internal_campaigns_for_decisions(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    asset_id = await _asset(db, owner)
    await _register(api, token, asset_id, [VERTICAL_12S, WIDE_70S])
    first = (await _orchestrate(api, token, asset_id, platforms=["instagram", "tiktok"])).json()
    assert first["campaigns_created"] == [c["campaign_id"] for c in first["campaigns"]]
    campaigns = {c["platform"]: c for c in first["campaigns"]}
    instagram = campaigns["instagram"]
    assert instagram["name"] == f"INSTAGRAM auto-campaign for {asset_id}"
    assert instagram["status"] == "draft" and instagram["budget_cents"] == 0 and instagram["created"] is True
    assert instagram["optimization_meta"] == {
        "source": "auto_orchestrator",
        "score": instagram["optimization_meta"]["score"],
        "platform": "instagram",
    }
    second = (await _orchestrate(api, token, asset_id, platforms=["instagram", "tiktok"])).json()
    again = {c["platform"]: c for c in second["campaigns"]}
    assert again["instagram"]["campaign_id"] == instagram["campaign_id"] and again["instagram"]["created"] is False
    async with db() as session:
        drafts = await session.scalar(
            select(func.count()).select_from(Campaign).where(Campaign.video_asset_id == asset_id)
        )
        events = (
            await session.scalars(
                select(SocialSyncLedger.event_type).where(
                    SocialSyncLedger.entity_id.in_([str(asset_id), *[c["campaign_id"] for c in campaigns.values()]])
                )
            )
        ).all()
    assert drafts == 2
    assert sorted(events) == ["best_clip_selected"] * 4 + ["campaign_created_auto"] * 2


async def test_orchestrate_campaigns_for_video_endpoint(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    stranger = issue_token(stack_settings, "stranger")
    asset_id = await _asset(db, owner)
    empty = await _orchestrate(api, token, asset_id)
    assert empty.status_code == 422 and "no READY clip" in empty.text
    await _register(api, token, asset_id, [VERTICAL_12S])
    assert (await _orchestrate(api, stranger, asset_id)).status_code == 404
    assert (await _orchestrate(api, token, uuid.uuid4())).status_code == 404
    unknown = await _orchestrate(api, token, asset_id, platforms=["myspace"])
    assert unknown.status_code == 422 and "myspace" in unknown.text
    assert (await api.post("/campaigns/orchestrate", json={"video_asset_id": str(asset_id)})).status_code == 401
    ok = await _orchestrate(api, token, asset_id)
    assert ok.status_code == 200
    body = ok.json()
    assert {"video_asset_id", "decisions", "campaigns_created"} <= set(body) and body["budget"] == []
    assert len(body["decisions"]) == 3 and len(body["campaigns_created"]) == 3
    # campaigns-engine.md's shapes: campaigns_created is a list of campaign ids, every decision carries decided_at
    assert all(isinstance(uuid.UUID(campaign_id), uuid.UUID) for campaign_id in body["campaigns_created"])
    assert all({"video_asset_id", "platform", "clip_id", "score", "decided_at"} <= set(d) for d in body["decisions"])
    async with db() as session:
        created = (
            await session.scalars(
                select(SocialSyncLedger.meta).where(
                    SocialSyncLedger.event_type == "campaign_created_auto",
                    SocialSyncLedger.entity_id.in_(body["campaigns_created"]),
                )
            )
        ).all()
    assert len(created) == 3
    assert all({"platform", "clip_id", "video_asset_id", "score"} <= set(meta) for meta in created)
    assert {meta["video_asset_id"] for meta in created} == {str(asset_id)}


async def test_get_best_clip_endpoint(api: httpx.AsyncClient, stack_settings: Settings, db: Any) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    asset_id = await _asset(db, owner)
    [clip_id] = await _register(api, token, asset_id, [VERTICAL_12S])
    params = {"video_asset_id": str(asset_id), "platform": "tiktok"}
    assert (await api.get("/campaigns/best_clip", params=params, headers=bearer(token))).status_code == 404
    await _orchestrate(api, token, asset_id, platforms=["tiktok"])
    found = await api.get("/campaigns/best_clip", params=params, headers=bearer(token))
    assert found.status_code == 200 and found.json()["clip_id"] == clip_id
    other = await api.get("/campaigns/best_clip", params={**params, "platform": "youtube"}, headers=bearer(token))
    assert other.status_code == 404
    bad = await api.get("/campaigns/best_clip", params={**params, "platform": "vine"}, headers=bearer(token))
    assert bad.status_code == 422


async def test_best_clip_uses_rule_engine_scores(api: httpx.AsyncClient, stack_settings: Settings, db: Any) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    category = f"cat-{uuid.uuid4().hex[:6]}"
    asset_id = await _asset(db, owner, category)
    fast = {**VERTICAL_12S, "pacing": "fast"}
    slow = {**VERTICAL_12S, "pacing": "slow", "cuts_per_5s": 0.5}
    async with db.begin() as session:  # the market says slow ads convert far better in this category
        for pacing, alpha, beta in (("fast", 2, 998), ("slow", 80, 920)):
            session.add(
                PatternPerformance(
                    id=uuid.uuid4(),
                    pacing=pacing,
                    product_category=category,
                    source="benchmark",
                    weight=2.0,
                    bayesian_alpha=alpha,
                    bayesian_beta=beta,
                )
            )
    ids = await _register(api, token, asset_id, [fast, slow])
    body = (await _orchestrate(api, token, asset_id, platforms=["instagram"])).json()
    decision = body["decisions"][0]
    async with db() as session:
        weights = await current_weights(session, "instagram")
    rows = [
        PatternEvidence(None, None, "fast", PatternRow("benchmark", 2, 998, 2.0)),
        PatternEvidence(None, None, "slow", PatternRow("benchmark", 80, 920, 2.0)),
    ]
    expected = {
        clip_id: evaluate_clip(
            ClipFeatures(**f), "instagram", weights, clip_posterior(ClipFeatures(**f), rows), category_baseline(rows)
        )
        for clip_id, f in zip(ids, (fast, slow), strict=True)
    }
    winner = max(expected, key=lambda clip_id: expected[clip_id].total)
    assert decision["clip_id"] == winner
    assert decision["score"] == pytest.approx(expected[winner].total)
    assert decision["breakdown"] == pytest.approx(expected[winner].breakdown)
    assert decision["weights_version"] == weights.version
    # the decision says what the winner beat: the other clip, its score, and the terms that differ
    [loser] = [clip_id for clip_id in ids if clip_id != winner]
    assert decision["runner_up_clip_id"] == loser
    assert decision["runner_up_score"] == pytest.approx(expected[loser].total)
    params = {"video_asset_id": str(asset_id), "platform": "instagram"}
    best = (await api.get("/campaigns/best_clip", params=params, headers=bearer(token))).json()
    assert best["num_candidates"] == 2 and best["runner_up"]["clip_id"] == loser
    assert best["runner_up"]["score"] == pytest.approx(expected[loser].total)
    assert best["runner_up"]["breakdown"] == pytest.approx(expected[loser].breakdown)
    assert best["why"].startswith("best of 2 candidates") and "expected_cvr" in best["why"]


async def test_concurrent_orchestrations_and_retried_activity(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any, temporal: Client
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    asset_id = await _asset(db, owner)
    await _register(api, token, asset_id, [VERTICAL_12S, VERTICAL_25S, WIDE_70S])
    results = await asyncio.gather(*(_orchestrate(api, token, asset_id, request_id=f"r{i}") for i in range(2)))
    assert [r.status_code for r in results] == [200, 200]
    async with db() as session:
        decisions = await session.scalar(
            select(func.count()).select_from(BestClipDecision).where(BestClipDecision.video_asset_id == asset_id)
        )
        drafts = await session.scalar(
            select(func.count()).select_from(Campaign).where(Campaign.video_asset_id == asset_id)
        )
    assert decisions == 3 and drafts == 3
    # a retried activity changes nothing
    decision = results[0].json()["decisions"][0]
    again = await ActivityEnvironment().run(
        CampaignActivities(db).create_draft_campaign,
        CreateCampaignInput(decision=PlatformDecision(**decision), campaign_id=uuid.uuid4()),
    )
    assert again.created is False
    async with db() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Campaign).where(Campaign.video_asset_id == asset_id))
            == 3
        )
    for request_id in ("r0", "r1"):
        history = await temporal.get_workflow_handle(f"orchestrate-{asset_id}-{request_id}").fetch_history()
        await Replayer(workflows=ALL_WORKFLOWS, data_converter=temporal.data_converter).replay_workflow(history)
