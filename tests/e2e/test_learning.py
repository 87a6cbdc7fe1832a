"""Learning on the real stack: recommendations, budget split, campaign results and rule training."""

from __future__ import annotations

import math
import uuid
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select
from temporalio.client import Client

from api.auth import issue_token
from domain.rules import ClipFeatures, Weights, evaluate_clip
from models.tables import Campaign, Clip, PatternPerformance, RuleWeights, SocialSyncLedger, VideoAsset
from settings import Settings
from tests.conftest import bearer
from workflows.train_rules import SCHEDULE_ID

pytestmark = pytest.mark.usefixtures("worker")


async def test_recommendations_rank_patterns_deterministically(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    category = f"recs-{uuid.uuid4().hex[:6]}"
    # the client agrees with the market on "question" (5 % of 200) and contradicts it on "before-after"
    rows = [
        ("question", "curiosity", "fast", "benchmark", 60, 940),
        ("testimonial", "trust", "slow", "benchmark", 20, 980),
        ("before-after", "relief", "medium", "benchmark", 35, 965),
        ("question", "curiosity", "fast", "client", 11, 191),
        ("before-after", "relief", "medium", "client", 1, 301),
    ]
    async with db.begin() as session:
        for hook, emotion, pacing, source, alpha, beta in rows:
            session.add(
                PatternPerformance(
                    id=uuid.uuid4(),
                    hook_type=hook,
                    emotion=emotion,
                    pacing=pacing,
                    product_category=category,
                    source=source,
                    owner_id=None if source == "benchmark" else "marketer",
                    weight=2.0 if source == "benchmark" else 1.0,
                    bayesian_alpha=alpha,
                    bayesian_beta=beta,
                )
            )
    token = issue_token(stack_settings, "marketer")
    params: dict[str, str | int] = {"product_category": category, "seed": 7}
    first = await api.get("/api/v1/patterns/recommendations", params=params, headers=bearer(token))
    again = await api.get("/api/v1/patterns/recommendations", params=params, headers=bearer(token))
    assert first.status_code == 200 and first.json() == again.json()
    body = first.json()
    assert body["seed"] == 7 and [item["rank"] for item in body["items"]] == [1, 2, 3]
    assert sum(item["probability_best"] for item in body["items"]) == pytest.approx(1.0, abs=1e-9)
    top = {item["pattern"]["hook_type"]: item for item in body["items"]}
    question = top["question"]
    low, high = question["credible_interval_95"]
    assert low < question["posterior_mean"] < high
    assert question["client_clicks"] == pytest.approx(200) and question["benchmark_pseudo_clicks"] > 1000
    assert question["probability_best"] > top["testimonial"]["probability_best"]
    # 0 conversions in 300 clicks where the market promised 3.5 %: the benchmark mostly stops counting
    assert question["benchmark_credibility"] == 1.0 and top["testimonial"]["benchmark_credibility"] == 1.0
    contradicted = top["before-after"]
    assert contradicted["benchmark_credibility"] <= 0.1 and contradicted["client_clicks"] == pytest.approx(300)
    assert contradicted["benchmark_pseudo_clicks"] < 0.1 * 2 * 998 and contradicted["posterior_mean"] < 0.02
    assert (await api.get("/api/v1/patterns/recommendations", params=params)).status_code == 401
    assert body["evidence_scope"] == "benchmarks + client marketer"


async def test_one_client_cannot_steer_another_clients_recommendations(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    """A hostile client's absurd results change its own answers only, and no answer shows them to anyone else."""
    category = f"poison-{uuid.uuid4().hex[:6]}"
    victim, attacker = issue_token(stack_settings, "victim"), issue_token(stack_settings, "attacker")
    market = [("question", "curiosity", "fast", 60, 940), ("testimonial", "trust", "slow", 40, 960)]
    async with db.begin() as session:
        for hook, emotion, pacing, alpha, beta in market:
            session.add(
                PatternPerformance(
                    id=uuid.uuid4(), hook_type=hook, emotion=emotion, pacing=pacing, product_category=category,
                    source="benchmark", weight=2.0, bayesian_alpha=alpha, bayesian_beta=beta,
                )
            )  # fmt: skip
    params: dict[str, str | int] = {"product_category": category, "seed": 3}
    before = (await api.get("/api/v1/patterns/recommendations", params=params, headers=bearer(victim))).json()
    # the attacker's own creative, labelled with the weaker pattern, reports a flood of conversions
    async with db.begin() as session:
        session.add(
            PatternPerformance(
                id=uuid.uuid4(), hook_type="testimonial", emotion="trust", pacing="slow", product_category=category,
                source="client", owner_id="attacker", weight=1.0, bayesian_alpha=1e12, bayesian_beta=1.0,
            )
        )  # fmt: skip
    after = (await api.get("/api/v1/patterns/recommendations", params=params, headers=bearer(victim))).json()
    assert after == before
    assert all(item["client_clicks"] == 0 for item in after["items"])
    own = (await api.get("/api/v1/patterns/recommendations", params=params, headers=bearer(attacker))).json()
    assert own["items"][0]["pattern"]["hook_type"] == "testimonial"  # only the attacker fooled itself
    # a client cannot look through another's eyes; an admin can, and the answer says whose evidence it is
    # a token whose subject is the admin-only word "all" is a client like any other, not a key to everyone's rows
    named_all = issue_token(stack_settings, "all")
    as_all = (await api.get("/api/v1/patterns/recommendations", params=params, headers=bearer(named_all))).json()
    assert as_all["items"] == before["items"] and as_all["evidence_scope"] == "benchmarks + client all"
    pooled = {**params, "client_id": "all"}
    everyone = (
        await api.get(
            "/api/v1/patterns/recommendations",
            params=pooled,
            headers=bearer(issue_token(stack_settings, "ops", admin=True)),
        )
    ).json()
    assert everyone["evidence_scope"] == "benchmarks + all clients (admin)"
    assert everyone["items"][0]["pattern"]["hook_type"] == "testimonial"
    peek = {**params, "client_id": "attacker"}
    assert (await api.get("/api/v1/patterns/recommendations", params=peek, headers=bearer(victim))).json() == before
    admin = issue_token(stack_settings, "ops", admin=True)
    seen = (await api.get("/api/v1/patterns/recommendations", params=peek, headers=bearer(admin))).json()
    assert seen["evidence_scope"] == "benchmarks + client attacker" and seen == {
        **own,
        "evidence_scope": seen["evidence_scope"],
    }


async def test_daily_budget_is_split_by_probability_of_being_best(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    asset_id = uuid.uuid4()
    async with db.begin() as session:
        session.add(VideoAsset(id=asset_id, owner_id=owner, name="a", product_category="budget", status="ready"))
    clips = [
        {
            "duration_s": d,
            "width": 1080,
            "height": 1920,
            "has_audio": True,
            "cuts_per_5s": 2.5,
            "dynamic_start": True,
            "face_in_first_seconds": True,
            "loudness_lufs": -14.0,
        }
        for d in (12, 25, 40)
    ]
    body = [{"start_s": 0, "end_s": c["duration_s"], "features": c} for c in clips]
    assert (
        await api.post(f"/api/v1/video-assets/{asset_id}/clips", headers=bearer(token), json=body)
    ).status_code == 201
    response = await api.post(
        "/campaigns/orchestrate",
        headers=bearer(token),
        json={"video_asset_id": str(asset_id), "daily_budget_cents": 10_001, "request_id": "b1"},
    )
    assert response.status_code == 200, response.text
    budget = response.json()["budget"]
    assert sum(item["budget_cents"] for item in budget) == 10_001
    floor = math.floor(stack_settings.budget_min_share * 10_001)
    assert all(item["budget_cents"] >= floor for item in budget)
    assert sum(item["probability_best"] for item in budget) == pytest.approx(1.0, abs=1e-9)
    async with db() as session:
        stored = (await session.scalars(select(Campaign).where(Campaign.video_asset_id == asset_id))).all()
        events = await session.scalar(
            select(func.count())
            .select_from(SocialSyncLedger)
            .where(
                SocialSyncLedger.event_type == "budget_allocated",
                SocialSyncLedger.entity_id.in_([str(c.id) for c in stored]),
            )
        )
    assert sorted(c.budget_cents for c in stored) == sorted(item["budget_cents"] for item in budget)
    assert events == len(stored)


async def test_training_learns_from_campaign_results_and_is_scheduled(
    api: httpx.AsyncClient, stack_settings: Settings, admin_token: str, db: Any, temporal: Client
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    rng = np.random.default_rng(3)
    truth = Weights(
        version=1,
        terms={
            "aspect_fit": 3.0,
            "audio": 2.0,
            "pacing": 2.0,
            "dynamic_start": 0.5,
            "duration_fit": 0.2,
            "resolution": 0.1,
            "face_early": 0.1,
            "loudness": 0.1,
            "expected_cvr": 0.01,
        },
    )
    asset_id = uuid.uuid4()
    async with db.begin() as session:
        session.add(VideoAsset(id=asset_id, owner_id=owner, name="t", product_category="train", status="ready"))
        await session.flush()
        for _ in range(120):
            features = ClipFeatures(
                duration_s=float(rng.uniform(5, 70)),
                width=int(rng.choice([1080, 1920])),
                height=1920 if rng.random() < 0.6 else 1080,
                has_audio=bool(rng.random() < 0.6),
                cuts_per_5s=float(rng.uniform(0, 6)),
                dynamic_start=bool(rng.random() < 0.5),
                face_in_first_seconds=bool(rng.random() < 0.5),
                loudness_lufs=float(rng.uniform(-30, -8)),
            )
            total = evaluate_clip(features, "tiktok", truth).total
            clicks = 3000
            conversions = int(rng.binomial(clicks, 1 / (1 + math.exp(-(-6 + 5 * total)))))
            clip_id = uuid.uuid4()
            session.add(
                Clip(
                    id=clip_id,
                    video_asset_id=asset_id,
                    status="READY",
                    start_s=0,
                    end_s=features.duration_s,
                    features=features.model_dump(mode="json"),
                )
            )
            await session.flush()
            session.add(
                Campaign(
                    id=uuid.uuid4(),
                    video_asset_id=asset_id,
                    clip_id=clip_id,
                    platform="tiktok",
                    status="draft",
                    name="t",
                    budget_cents=0,
                    optimization_meta={},
                    impressions=clicks * 20,
                    clicks=clicks,
                    conversions=conversions,
                )
            )
    # the results endpoint counts a repeated report once
    async with db() as session:
        campaign_id = (await session.scalars(select(Campaign.id).where(Campaign.video_asset_id == asset_id))).first()
    report = {"event_id": "week-1", "impressions": 10, "clicks": 0, "conversions": 0}
    url = f"/campaigns/{campaign_id}/performance"
    assert (await api.post(url, headers=bearer(token), json=report)).json()["counted"] is True
    assert (await api.post(url, headers=bearer(token), json=report)).json()["counted"] is False
    assert (await api.post(url, headers=bearer(issue_token(stack_settings, "x")), json=report)).status_code == 404

    assert (await api.post("/api/v1/rules/train", headers=bearer(token))).status_code == 403
    trained = await api.post("/api/v1/rules/train", headers=bearer(admin_token))
    assert trained.status_code == 200, trained.text
    results = {r["platform"]: r for r in trained.json()["results"]}
    tiktok = results["tiktok"]
    assert tiktok["improved"] is True and tiktok["new_version"] == tiktok["current_version"] + 1, tiktok
    assert results["youtube"]["improved"] is False and "too few" in results["youtube"]["reason"]
    weights = tiktok["weights"]
    assert weights["aspect_fit"] > weights["loudness"] and weights["audio"] > weights["face_early"]
    async with db() as session:
        versions = (await session.scalars(select(RuleWeights.version).where(RuleWeights.platform == "tiktok"))).all()
    assert tiktok["new_version"] in versions
    # a second run on the same data has nothing better to offer: no new version
    again = {
        r["platform"]: r for r in (await api.post("/api/v1/rules/train", headers=bearer(admin_token))).json()["results"]
    }
    assert again["tiktok"]["improved"] is False and again["tiktok"]["current_version"] == tiktok["new_version"]
    # decisions name the version they used
    decision = (
        await api.post(
            "/campaigns/orchestrate",
            headers=bearer(token),
            json={"video_asset_id": str(asset_id), "platforms": ["tiktok"]},
        )
    ).json()["decisions"][0]
    assert decision["weights_version"] == tiktok["new_version"]
    description = await temporal.get_schedule_handle(SCHEDULE_ID).describe()
    spec, action = description.schedule.spec, description.schedule.action
    assert spec.cron_expressions or spec.calendars  # the server stores a cron as a calendar
    assert getattr(action, "workflow", None) == "TrainRulesWorkflow"
