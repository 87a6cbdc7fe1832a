"""The Graph client against the local fake (a real HTTP server): each call, the error mapping, pacing."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest

from ads.meta.client import GraphConfig, MetaClient
from ads.meta.errors import MetaInvalidRequest, MetaThrottled, MetaTokenExpired, MetaTransient
from ads.meta.insights import INSIGHT_FIELDS, parse_row
from ads.meta.upload import Cursor, transfer_all
from ads.meta.usage import Pacer
from tests.support.fake_meta import FakeMeta

CONFIG = GraphConfig(version="v21.0", min_throttle_delay=timedelta(seconds=1))


@pytest.fixture
def fake(fake_meta_url: str) -> FakeMeta:
    return FakeMeta(fake_meta_url)


@pytest.fixture
async def meta(fake_meta_url: str) -> AsyncIterator[MetaClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield MetaClient(
            http,
            GraphConfig(base_url=fake_meta_url, version="v21.0", min_throttle_delay=timedelta(seconds=1)),
            f"tok-{uuid.uuid4().hex}",
            f"{uuid.uuid4().int % 10**15}",
            Pacer(),
        )


async def upload(meta: MetaClient, data: bytes, title: str) -> str:
    session = await meta.start_video_upload(len(data))
    cursor = Cursor(session.session_id, session.video_id, session.start_offset, session.end_offset)

    async def read(start: int, end: int) -> AsyncIterator[bytes]:
        for offset in range(start, end, 50_000):  # pieces unrelated to the chunk size
            yield data[offset : min(offset + 50_000, end)]

    seen: list[int] = []
    done = await transfer_all(meta, cursor, read, lambda start, end: seen.append(start), len(data))
    assert done.start_offset == done.end_offset == len(data) and len(seen) >= 3
    await meta.finish_video_upload(session.session_id, title)
    return session.video_id


async def publish_chain(meta: MetaClient, status: str = "PAUSED") -> dict[str, str]:
    video_id = await upload(meta, os.urandom(600 * 1024), "clip-1")
    assert await meta.find_video("clip-1") == video_id
    while await meta.video_status(video_id) != "ready":
        pass
    image = await meta.upload_image("hook.jpg", b"\xff\xd8 fake jpeg")
    creative, _ = await meta.ensure(
        "adcreatives",
        "c-1",
        {
            "object_story_spec": {
                "page_id": "1",
                "video_data": {"video_id": video_id, "image_hash": image, "message": "hi"},
            }
        },
    )
    campaign, created = await meta.ensure(
        "campaigns", "k-1", {"objective": "OUTCOME_SALES", "special_ad_categories": [], "status": "PAUSED"}
    )
    assert created
    adset, _ = await meta.ensure(
        "adsets",
        "s-1",
        {
            "campaign_id": campaign,
            "daily_budget": 5000,
            "billing_event": "IMPRESSIONS",
            "optimization_goal": "LINK_CLICKS",
            "targeting": {"geo_locations": {"countries": ["US"]}},
            "status": status,
        },
    )
    ad, _ = await meta.ensure(
        "ads", "a-1", {"adset_id": adset, "creative": {"creative_id": creative}, "status": status}
    )
    return {"video": video_id, "campaign": campaign, "adset": adset, "ad": ad}


async def test_publish_chain_and_lookup_by_name(meta: MetaClient, fake: FakeMeta) -> None:
    ids = await publish_chain(meta)
    assert await meta.ensure("campaigns", "k-1", {}) == (ids["campaign"], False)  # found, not made again
    assert await meta.find_by_name("ads", "nope") is None
    ads = [o for o in fake.objects("ad") if o["account"] == meta.account]
    assert [(a["id"], a["status"]) for a in ads] == [(ids["ad"], "PAUSED")]


async def test_upload_sends_the_bytes_in_metas_offsets(meta: MetaClient, fake: FakeMeta) -> None:
    data = os.urandom(700 * 1024 + 13)
    video_id = await upload(meta, data, "exact")
    (video,) = [o for o in fake.objects("video") if o["id"] == video_id]
    assert video["sha256"] == hashlib.sha256(data).hexdigest() and video["size"] == len(data)


async def test_a_resent_chunk_after_a_lost_answer_is_not_counted_twice(meta: MetaClient, fake: FakeMeta) -> None:
    data = os.urandom(300 * 1024)
    session = await meta.start_video_upload(len(data))
    fake.fault("lose_response", path=meta.account, phase="transfer")
    with pytest.raises(MetaTransient):
        await meta.transfer_video_chunk(session.session_id, 0, data[: session.end_offset])
    start, end = await meta.transfer_video_chunk(session.session_id, 0, data[: session.end_offset])
    assert start == session.end_offset  # Meta says: go on from where you are
    start, end = await meta.transfer_video_chunk(session.session_id, start, data[start:end])
    assert start == end == len(data)


async def test_validation_error_is_final_with_metas_message(meta: MetaClient) -> None:
    campaign, _ = await meta.ensure("campaigns", "k", {"objective": "OUTCOME_SALES", "special_ad_categories": []})
    with pytest.raises(MetaInvalidRequest, match="daily budget is too low"):
        await meta.create(
            "adsets",
            {
                "name": "s",
                "campaign_id": campaign,
                "daily_budget": 5,
                "billing_event": "IMPRESSIONS",
                "optimization_goal": "LINK_CLICKS",
                "targeting": {"geo_locations": {"countries": ["US"]}},
            },
        )
    with pytest.raises(MetaInvalidRequest, match="objective"):
        await meta.create("campaigns", {"name": "x", "objective": "SALES", "special_ad_categories": []})


async def test_throttle_transient_and_expired_token(meta: MetaClient, fake: FakeMeta) -> None:
    fake.fault("throttle", path=meta.account, regain_minutes=2)
    with pytest.raises(MetaThrottled) as throttled:
        await meta.find_by_name("campaigns", "x")
    assert throttled.value.retry_after == timedelta(minutes=2)
    # the pacer now holds this account back: the next call does not go to Meta at all
    calls = len(fake.calls())
    with pytest.raises(MetaThrottled, match="pacing"):
        await meta.find_by_name("campaigns", "x")
    assert len(fake.calls()) == calls
    meta.pacer = Pacer()
    fake.fault("transient", path=meta.account)
    with pytest.raises(MetaTransient):
        await meta.find_by_name("campaigns", "x")
    fake.fault("server_error", path=meta.account)
    with pytest.raises(MetaTransient):
        await meta.find_by_name("campaigns", "x")
    fake.fault("expire_token", path=meta.account)
    with pytest.raises(MetaTokenExpired):
        await meta.find_by_name("campaigns", "x")
    with pytest.raises(MetaTokenExpired):  # and it stays expired
        await meta.find_by_name("campaigns", "x")


async def test_usage_headers_pace_before_any_error(meta: MetaClient, fake: FakeMeta) -> None:
    fake.usage(percent=99)
    try:
        await meta.find_by_name("campaigns", "x")
        assert meta.pacer.delay_s(meta.account) > 0
    finally:
        fake.usage(percent=5)


async def test_insights_report_runs_pages_and_parses(meta: MetaClient, fake: FakeMeta) -> None:
    ids = await publish_chain(meta, status="ACTIVE")
    days = fake.advance(3)
    report = await meta.start_insights(INSIGHT_FIELDS, days[0], days[-1])
    states = []
    while not (status := await meta.report_status(report)).done:
        states.append(status.status)
    assert states and states[0] == "Job Not Started"
    rows, cursor = [], None
    while True:
        page, cursor = await meta.report_page(report, cursor, limit=1)
        rows += page
        if cursor is None:
            break
    parsed = [parse_row(row) for row in rows]
    assert [p.day for p in parsed] == [date.fromisoformat(d) for d in days]
    assert {p.ad_id for p in parsed} == {ids["ad"]}
    assert all(p.impressions == 5000 and p.conversions <= p.clicks <= p.impressions for p in parsed)
    await meta.set_adset_budget(ids["adset"], 7000)
    assert await meta.adset_budget(ids["adset"]) == 7000
