"""SyncInsightsWorkflow against the fake: (ad, day) totals, restated days replace, results follow through."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.service import RPCError

from activities.meta_records import published_creative_id
from models.evidence import pattern_row_id
from models.schemas.meta import SyncInsightsOutput
from models.tables import AdInsightDay, Campaign, Creative, PatternPerformance
from settings import Settings
from tests.conftest import bearer
from tests.e2e.meta_helpers import MetaClientUser, draft_campaigns, outcome, publish
from tests.support.fake_meta import FakeMeta
from workflows.analyze_creative import analysis_workflow_id
from workflows.sync_insights import sync_schedule_id

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture
def fake(fake_meta_url: str) -> FakeMeta:
    return FakeMeta(fake_meta_url)


async def published(
    api: httpx.AsyncClient, temporal: Client, stack_settings: Settings, db: Any, s3: Any, tmp_path: Path
) -> tuple[MetaClientUser, uuid.UUID, str]:
    user = MetaClientUser(stack_settings)
    await user.connect(api)
    (campaign_id,) = await draft_campaigns(db, s3, stack_settings, user.owner, tmp_path)
    assert (await publish(api, user, campaign_id, status="ACTIVE")).status_code == 202
    result = await outcome(temporal, f"publish-{campaign_id}")
    return user, campaign_id, result.ids["meta_video_id"]


async def sync(api: httpx.AsyncClient, temporal: Client, admin: dict[str, str], account_id: str) -> Any:
    response = await api.post(f"/api/v1/ad-accounts/{account_id}/sync", headers=admin)
    assert response.status_code == 202, response.text
    return await outcome(temporal, response.json()["workflow_id"], result_type=SyncInsightsOutput)


async def stored(db: Any, campaign_id: uuid.UUID) -> tuple[Campaign, Creative, PatternPerformance, list[AdInsightDay]]:
    async with db() as session:
        campaign = await session.get(Campaign, campaign_id)
        creative = await session.get(Creative, published_creative_id(campaign_id))
        pattern = await session.get(PatternPerformance, pattern_row_id(creative.id, "client"))
        days = (await session.scalars(select(AdInsightDay).where(AdInsightDay.campaign_id == campaign_id)
                                      .order_by(AdInsightDay.day))).all()  # fmt: skip
    return campaign, creative, pattern, list(days)


async def test_sync_stores_day_totals_and_a_restated_day_replaces_it(
    api: httpx.AsyncClient, temporal: Client, fake: FakeMeta, stack_settings: Settings, db: Any, s3: Any,
    tmp_path: Path, admin_token: str,
) -> None:  # fmt: skip
    user, campaign_id, video_id = await published(api, temporal, stack_settings, db, s3, tmp_path)
    fake.set_rate(video_id, 0.08)  # a clip that converts well: the 5-conversion trigger fires
    days = fake.advance(3)
    admin = bearer(admin_token)
    first = await sync(api, temporal, admin, user.account_id)
    assert first.days_changed == 3 and first.campaigns == 1

    campaign, creative, pattern, rows = await stored(db, campaign_id)
    assert [row.day.isoformat() for row in rows] == days
    sums = {f: sum(getattr(row, f) for row in rows) for f in ("impressions", "clicks", "conversions")}
    assert sums["impressions"] == 3 * 5000 and sums["conversions"] >= 5
    assert (campaign.impressions, campaign.clicks, campaign.conversions) == tuple(sums.values())
    assert (creative.impressions, creative.clicks, creative.conversions) == tuple(sums.values())
    assert (pattern.bayesian_alpha, pattern.owner_id) == (1 + sums["conversions"], user.owner)
    assert pattern.bayesian_beta == 1 + sums["clicks"] - sums["conversions"]
    # the creative's workflow heard its conversions, as after a POSTed report
    description = await temporal.get_workflow_handle(analysis_workflow_id(creative.id)).describe()
    assert description.workflow_type == "AnalyzeCreativeWorkflow"

    # the same days again: nothing counted twice
    again = await sync(api, temporal, admin, user.account_id)
    assert again.rows == 3 and again.days_changed == 0
    campaign, creative, _, _ = await stored(db, campaign_id)
    assert (campaign.impressions, campaign.clicks, campaign.conversions) == tuple(sums.values())

    # Meta restates a day (late conversions up, then another day down): the day is replaced, not added to
    ad_id = campaign.meta_ad_id or ""
    first_day, second_day = rows[0], rows[1]
    fake.restate(ad_id, days[0], conversions=first_day.conversions + 2, clicks=first_day.clicks + 2)
    fake.restate(ad_id, days[1], conversions=0)
    restated = await sync(api, temporal, admin, user.account_id)
    assert restated.days_changed == 2
    campaign, creative, pattern, rows = await stored(db, campaign_id)
    expected = {
        "impressions": sums["impressions"],
        "clicks": sums["clicks"] + 2,
        "conversions": sums["conversions"] + 2 - second_day.conversions,
    }
    assert (campaign.impressions, campaign.clicks, campaign.conversions) == tuple(expected.values())
    assert (creative.impressions, creative.clicks, creative.conversions) == tuple(expected.values())
    assert pattern.bayesian_alpha == 1 + expected["conversions"]
    assert [row.conversions for row in rows[:2]] == [first_day.conversions + 2, 0]


async def test_each_connected_account_has_a_sync_schedule_until_disconnected(
    api: httpx.AsyncClient, temporal: Client, stack_settings: Settings, user_token: str
) -> None:
    user = MetaClientUser(stack_settings)
    await user.connect(api)
    schedule = await temporal.get_schedule_handle(sync_schedule_id(user.account_id)).describe()
    assert schedule.schedule.spec.intervals[0].every.total_seconds() == stack_settings.meta_sync_interval_minutes * 60
    # only an admin starts a sync by hand
    assert (
        await api.post(f"/api/v1/ad-accounts/{user.account_id}/sync", headers=bearer(user_token))
    ).status_code == 403
    assert (await api.delete(f"/api/v1/ad-accounts/{user.account_id}", headers=user.headers)).status_code == 204
    with pytest.raises(RPCError):
        await temporal.get_schedule_handle(sync_schedule_id(user.account_id)).describe()


async def test_cli_sync_insights_runs_the_workflow_through_the_api(
    api: httpx.AsyncClient, temporal: Client, fake: FakeMeta, stack_settings: Settings, db: Any, s3: Any,
    tmp_path: Path, admin_token: str, served_api: str,
) -> None:  # fmt: skip
    import asyncio

    from typer.testing import CliRunner

    import cli

    user, campaign_id, _ = await published(api, temporal, stack_settings, db, s3, tmp_path)
    fake.advance(1)
    args = ["sync-insights", "--account", user.account_id, "--api", served_api, "--token", admin_token]
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, args)
    assert result.exit_code == 0, result.output
    assert "days changed" in result.output
    account = (await api.get(f"/api/v1/ad-accounts/{user.account_id}", headers=user.headers)).json()
    assert account["last_synced_at"] is not None
    campaign, _, _, rows = await stored(db, campaign_id)
    assert len(rows) == 1 and campaign.impressions == rows[0].impressions


async def test_budget_moves_to_the_better_clip_after_a_sync(
    api: httpx.AsyncClient, temporal: Client, fake: FakeMeta, stack_settings: Settings, db: Any, s3: Any,
    tmp_path: Path, admin_token: str,
) -> None:  # fmt: skip
    from models.tables import SocialSyncLedger

    user = MetaClientUser(stack_settings)
    await user.connect(api)
    worse, better = await draft_campaigns(db, s3, stack_settings, user.owner, tmp_path, count=2, budget_cents=5000)
    videos = {}
    for campaign_id in (worse, better):
        assert (await publish(api, user, campaign_id, status="ACTIVE")).status_code == 202
        videos[campaign_id] = (await outcome(temporal, f"publish-{campaign_id}")).ids
    fake.set_rate(videos[worse]["meta_video_id"], 0.005)
    fake.set_rate(videos[better]["meta_video_id"], 0.12)
    fake.advance(3)
    result = await sync(api, temporal, bearer(admin_token), user.account_id)
    moved = {move.campaign_id: move for move in result.budgets}
    assert set(moved) == {worse, better}
    assert moved[better].after_cents > 5000 > moved[worse].after_cents
    assert moved[better].after_cents + moved[worse].after_cents == 10_000
    assert moved[worse].after_cents >= stack_settings.budget_min_share * 10_000  # the floor
    adsets = {o["id"]: o for o in fake.objects("adset")}
    for campaign_id, ids in videos.items():
        assert adsets[ids["meta_adset_id"]]["daily_budget"] == moved[campaign_id].after_cents
    async with db() as session:
        for campaign_id in (worse, better):
            assert (await session.get(Campaign, campaign_id)).budget_cents == moved[campaign_id].after_cents
        events = (await session.scalars(select(SocialSyncLedger).where(
            SocialSyncLedger.event_type == "budget_allocated",
            SocialSyncLedger.entity_id.in_([str(worse), str(better)])))).all()  # fmt: skip
    assert sorted((e.meta["before_cents"], e.meta["after_cents"]) for e in events) == sorted(
        (5000, moved[c].after_cents) for c in (worse, better)
    )
    # nothing new from Meta: nothing moves
    again = await sync(api, temporal, bearer(admin_token), user.account_id)
    assert again.days_changed == 0 and again.budgets == []
