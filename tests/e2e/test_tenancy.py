"""Trust boundary on the real stack: two clients, each sees and changes only its own; reports must add up."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.auth import issue_token
from models.tables import Clip
from settings import Settings
from tests.conftest import bearer
from tests.e2e.test_campaigns import VERTICAL_12S, WIDE_70S, _asset, _orchestrate, _register

pytestmark = pytest.mark.usefixtures("worker")


async def test_a_client_cannot_take_another_clients_clip(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    alice, bob = issue_token(stack_settings, "alice"), issue_token(stack_settings, "bob")
    alice_asset, bob_asset = await _asset(db, "alice"), await _asset(db, "bob")
    [alice_clip] = await _register(api, alice, alice_asset, [VERTICAL_12S])
    steal = [{"clip_id": alice_clip, "start_s": 0, "end_s": 70, "features": WIDE_70S}]
    taken = await api.post(f"/api/v1/video-assets/{bob_asset}/clips", headers=bearer(bob), json=steal)
    assert taken.status_code == 409 and taken.json()["error"] == "conflict"
    # a list with one taken id registers nothing of it
    mixed = [{"start_s": 0, "end_s": 12, "features": VERTICAL_12S}, *steal]
    assert (
        await api.post(f"/api/v1/video-assets/{bob_asset}/clips", headers=bearer(bob), json=mixed)
    ).status_code == 409
    async with db() as session:
        clip = await session.get(Clip, uuid.UUID(alice_clip))
        bobs = (await session.scalars(select(Clip).where(Clip.video_asset_id == bob_asset))).all()
    assert clip is not None and clip.video_asset_id == alice_asset and clip.features["duration_s"] == 12
    assert bobs == []
    # and bob cannot read or register on alice's asset: the answer for a missing one
    for response in (
        await api.get(f"/api/v1/video-assets/{alice_asset}", headers=bearer(bob)),
        await api.get(f"/api/v1/video-assets/{alice_asset}/clips", headers=bearer(bob)),
        await api.post(f"/api/v1/video-assets/{alice_asset}/clips", headers=bearer(bob), json=steal[:0] or mixed[:1]),
    ):
        assert response.status_code == 404 and response.json()["detail"] == "no such video asset"
    bad_span = [{"start_s": 5, "end_s": 2, "features": VERTICAL_12S}]
    assert (
        await api.post(f"/api/v1/video-assets/{alice_asset}/clips", headers=bearer(alice), json=bad_span)
    ).status_code == 422


async def test_reads_show_each_client_its_own_campaigns_and_ledger(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    alice, bob = issue_token(stack_settings, "alice-r"), issue_token(stack_settings, "bob-r")
    admin = issue_token(stack_settings, "ops", admin=True)
    asset = await _asset(db, "alice-r")
    await _register(api, alice, asset, [VERTICAL_12S, WIDE_70S])
    made = (await _orchestrate(api, alice, asset)).json()
    listed = (await api.get("/campaigns", params={"video_asset_id": str(asset)}, headers=bearer(alice))).json()
    assert listed["total"] == 3 and {c["id"] for c in listed["items"]} == set(made["campaigns_created"])
    one = listed["items"][0]
    detail = await api.get(f"/campaigns/{one['id']}", headers=bearer(alice))
    assert detail.status_code == 200
    body = detail.json()
    assert body["decision"]["platform"] == body["platform"] and body["clip_start_s"] == 0 and body["external_ids"] == {}
    tiktok = (
        await api.get("/campaigns", params={"platform": "tiktok", "video_asset_id": str(asset)}, headers=bearer(alice))
    ).json()
    assert [c["platform"] for c in tiktok["items"]] == ["tiktok"]
    # bob: nothing listed, and alice's campaign is a missing one
    assert (await api.get("/campaigns", params={"video_asset_id": str(asset)}, headers=bearer(bob))).json()[
        "total"
    ] == 0
    hidden = await api.get(f"/campaigns/{one['id']}", headers=bearer(bob))
    assert (
        hidden.status_code == 404
        and hidden.json() == (await api.get(f"/campaigns/{uuid.uuid4()}", headers=bearer(bob))).json()
    )
    assert (await api.get(f"/campaigns/{one['id']}", headers=bearer(admin))).status_code == 200
    # the ledger: alice sees her asset's and campaigns' events, bob none of them, the admin all
    mine = (await api.get("/api/v1/ledger", params={"entity_id": str(asset)}, headers=bearer(alice))).json()
    assert {e["event_type"] for e in mine["items"]} == {"best_clip_selected"} and mine["total"] == 3
    created = (
        await api.get("/api/v1/ledger", params={"event_type": "campaign_created_auto"}, headers=bearer(alice))
    ).json()
    assert {e["entity_id"] for e in created["items"]} >= set(made["campaigns_created"])
    assert all("video_asset_id" in e["metadata"] for e in created["items"])
    theirs = (await api.get("/api/v1/ledger", params={"entity_id": str(asset)}, headers=bearer(bob))).json()
    assert theirs == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert (await api.get("/api/v1/ledger", params={"entity_id": str(asset)}, headers=bearer(admin))).json()[
        "total"
    ] == 3
    # the asset's detail
    asset_view = (await api.get(f"/api/v1/video-assets/{asset}", headers=bearer(alice))).json()
    assert asset_view["clips_total"] == 2 and asset_view["clips_ready"] == 2 and len(asset_view["decisions"]) == 3


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({"impressions": 10, "clicks": 0, "conversions": 10**12}, "less than or equal"),
        ({"impressions": 100, "clicks": 5, "conversions": 6}, "conversions (6) cannot exceed clicks (5)"),
        ({"impressions": 10, "clicks": 11, "conversions": 0}, "clicks (11) cannot exceed impressions (10)"),
        ({"impressions": -1, "clicks": 0, "conversions": 0}, "greater than or equal"),
    ],
)
async def test_impossible_reports_are_422_and_count_nothing(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any, report: dict[str, int], message: str
) -> None:
    owner = f"rep-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    asset = await _asset(db, owner)
    await _register(api, token, asset, [VERTICAL_12S])
    made = (await _orchestrate(api, token, asset, platforms=["tiktok"])).json()
    campaign = made["campaigns_created"][0]
    refused = await api.post(
        f"/campaigns/{campaign}/performance", headers=bearer(token), json={"event_id": "e", **report}
    )
    assert refused.status_code == 422 and message in refused.text
    after = (await api.get(f"/campaigns/{campaign}", headers=bearer(token))).json()
    assert (after["impressions"], after["clicks"], after["conversions"]) == (0, 0, 0)


async def test_an_admin_benchmark_call_cannot_turn_a_client_creative_public(
    api: httpx.AsyncClient, stack_settings: Settings, db: Any
) -> None:
    from models.tables import Creative

    creative_id = uuid.uuid4()
    async with db.begin() as session:
        session.add(
            Creative(
                id=creative_id, name="private", owner_id="carol", is_benchmark=False, is_public=False,
                product_category="skincare", status="ready", analysis_status="waiting",
            )
        )  # fmt: skip
    admin = issue_token(stack_settings, "ops", admin=True)
    body = {
        "video_url": "http://127.0.0.1:9/ad.mp4", "creative_id": str(creative_id), "creative_name": "x",
        "product_category": "skincare", "market_cvr": 0.05, "market_longevity_days": 30, "avg_daily_clicks": 100,
    }  # fmt: skip
    refused = await api.post("/api/v1/benchmarks", headers=bearer(admin), json=body)
    assert refused.status_code == 409 and "client creative" in refused.json()["detail"]
    async with db() as session:
        creative = await session.get(Creative, creative_id)
    assert creative is not None and creative.is_public is False and creative.owner_id == "carol"
