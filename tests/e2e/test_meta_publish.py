"""PublishCampaignWorkflow against the local Graph API fake: the chain, exactly once, throttles, tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowFailureError

from models.tables import Campaign, SocialSyncLedger
from settings import Settings
from tests.e2e.meta_helpers import MetaClientUser, draft_campaigns, outcome, publish
from tests.support.fake_meta import FakeMeta
from tests.support.visibility import listed

pytestmark = pytest.mark.usefixtures("worker")

KINDS = ("video", "creative", "campaign", "adset", "ad")


@pytest.fixture
def fake(fake_meta_url: str) -> FakeMeta:
    return FakeMeta(fake_meta_url)


def on_account(fake: FakeMeta, act: str) -> dict[str, list[dict[str, Any]]]:
    objects = [o for o in fake.objects() if o["account"] == act]
    return {kind: [o for o in objects if o["kind"] == kind] for kind in KINDS}


async def test_publish_makes_each_object_once_paused_and_records_them(
    api: httpx.AsyncClient, temporal: Client, fake: FakeMeta, stack_settings: Settings, db: Any, s3: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    user = MetaClientUser(stack_settings)
    await user.connect(api)
    (campaign_id,) = await draft_campaigns(db, s3, stack_settings, user.owner, tmp_path, budget_cents=4200)
    stranger = MetaClientUser(stack_settings)
    await stranger.connect(api)
    stranger.account_id = user.account_id  # another client naming this draft or this account: 404
    assert (await publish(api, stranger, campaign_id)).status_code == 404

    response = await publish(api, user, campaign_id)
    assert response.status_code == 202, response.text
    assert response.json()["workflow_id"] == f"publish-{campaign_id}"
    result = await outcome(temporal, f"publish-{campaign_id}")
    assert result.status == "PAUSED" and set(result.created) == {
        "meta_video_id", "meta_creative_id", "meta_campaign_id", "meta_adset_id", "meta_ad_id"}  # fmt: skip

    made = on_account(fake, user.act)
    assert {kind: len(rows) for kind, rows in made.items()} == dict.fromkeys(KINDS, 1)
    (campaign,), (adset,), (ad,), (creative,) = made["campaign"], made["adset"], made["ad"], made["creative"]
    assert campaign["objective"] == "OUTCOME_SALES" and campaign["status"] == "PAUSED"
    assert adset["daily_budget"] == 4200 and adset["status"] == "PAUSED" and adset["campaign_id"] == campaign["id"]
    assert ad["status"] == "PAUSED" and ad["adset_id"] == adset["id"] and ad["creative_id"] == creative["id"]
    video_data = creative["object_story_spec"]["video_data"]
    assert video_data["video_id"] == made["video"][0]["id"] and video_data["image_hash"]  # the hook frame
    assert str(campaign_id) in campaign["name"]

    async with db() as session:
        row = await session.get(Campaign, campaign_id)
        assert (row.status, row.meta_ad_id, row.meta_adset_id) == ("published", ad["id"], adset["id"])
        published = (
            SocialSyncLedger.event_type == "campaign_published",
            SocialSyncLedger.entity_id == str(campaign_id),
        )
        ledgered = await session.scalar(select(func.count()).select_from(SocialSyncLedger).where(*published))
    assert ledgered == 1
    shown = (await api.get(f"/campaigns/{campaign_id}", headers=user.headers)).json()
    assert shown["external_ids"]["meta_ad_id"] == ad["id"] and shown["status"] == "published"
    assert (await publish(api, user, campaign_id)).status_code == 409  # already published
    # an operator finds the run by the client and by the Meta ad account (the search attributes set at start)
    query = f'UgcOwner = "{user.owner}" AND UgcAdAccount = "{user.act}"'
    assert await listed(temporal, query, 1) == [f"publish-{campaign_id}"]


async def test_lost_answers_at_every_step_leave_exactly_one_object_of_each_kind(
    api: httpx.AsyncClient, temporal: Client, fake: FakeMeta, stack_settings: Settings, db: Any, s3: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    user = MetaClientUser(stack_settings)
    await user.connect(api)
    (campaign_id,) = await draft_campaigns(db, s3, stack_settings, user.owner, tmp_path)
    # Meta performs each of these and the answer never arrives: the retry must find what was made
    for edge in ("adcreatives", "campaigns", "adsets", "ads", "adimages"):
        fake.fault("lose_response", method="POST", path=f"{user.act}/{edge}")
    for phase in ("start", "transfer", "finish"):
        fake.fault("lose_response", method="POST", path=f"{user.act}/advideos", phase=phase)
    assert (await publish(api, user, campaign_id, status="ACTIVE")).status_code == 202
    result = await outcome(temporal, f"publish-{campaign_id}")
    made = on_account(fake, user.act)
    assert {kind: len(rows) for kind, rows in made.items()} == dict.fromkeys(KINDS, 1)
    assert made["ad"][0]["status"] == "ACTIVE" and result.ids["meta_ad_id"] == made["ad"][0]["id"]
    posts = [c for c in fake.calls() if c["method"] == "POST" and f"{user.act}/campaigns" in c["path"]]
    assert len(posts) == 1  # the lost create was found by name on the retry, not made again


async def test_throttling_waits_for_meta_then_completes(
    api: httpx.AsyncClient, temporal: Client, fake: FakeMeta, stack_settings: Settings, db: Any, s3: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    user = MetaClientUser(stack_settings)
    await user.connect(api)
    (campaign_id,) = await draft_campaigns(db, s3, stack_settings, user.owner, tmp_path)
    fake.fault("throttle", method="POST", path=f"{user.act}/campaigns", count=2, code=80004)
    fake.fault("transient", method="POST", path=f"{user.act}/adsets")
    assert (await publish(api, user, campaign_id)).status_code == 202
    await outcome(temporal, f"publish-{campaign_id}")
    made = on_account(fake, user.act)
    assert {kind: len(rows) for kind, rows in made.items()} == dict.fromkeys(KINDS, 1)
    posts = [c for c in fake.calls() if c["method"] == "POST" and f"{user.act}/campaigns" in c["path"]]
    assert len(posts) == 3  # refused twice, then made once
    history = await temporal.get_workflow_handle(f"publish-{campaign_id}").fetch_history()
    failures = [e for e in history.events if e.HasField("activity_task_started_event_attributes")
                and e.activity_task_started_event_attributes.attempt > 1]  # fmt: skip
    assert failures, "the throttled step was retried by Temporal, visible in its history"


async def test_expired_token_fails_typed_and_shows_on_the_account(
    api: httpx.AsyncClient, temporal: Client, fake: FakeMeta, stack_settings: Settings, db: Any, s3: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    user = MetaClientUser(stack_settings)
    await user.connect(api)
    (campaign_id,) = await draft_campaigns(db, s3, stack_settings, user.owner, tmp_path)
    fake.expire(user.meta_token)
    assert (await publish(api, user, campaign_id)).status_code == 202
    with pytest.raises(WorkflowFailureError) as failed:
        await outcome(temporal, f"publish-{campaign_id}")
    cause = getattr(failed.value.cause, "cause", None)  # ActivityError -> ApplicationError
    assert getattr(cause, "type", None) == "MetaTokenExpired"
    account = (await api.get(f"/api/v1/ad-accounts/{user.account_id}", headers=user.headers)).json()
    assert account["status"] == "needs_reconnect" and "expired" in account["status_reason"]
    async with db() as session:
        row = await session.get(Campaign, campaign_id)
        assert row.status == "publish_failed" and "expired" in row.optimization_meta["publish_error"]
    assert (await publish(api, user, campaign_id)).status_code == 409  # reconnect first
    assert on_account(fake, user.act)["campaign"] == []
    # a fresh token reconnects the account, and the publish then goes through
    user.meta_token += "-renewed"
    await user.connect(api)
    assert (await publish(api, user, campaign_id)).status_code == 202
    await outcome(temporal, f"publish-{campaign_id}")
    assert len(on_account(fake, user.act)["ad"]) == 1
