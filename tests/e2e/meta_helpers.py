"""Arranging Meta tests on the real stack: a draft campaign whose clip is a real video in storage, an account."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from api.auth import issue_token
from devstack.samples import make_test_video
from models.schemas.meta import PublishCampaignOutput
from models.tables import Campaign, Clip, VideoAsset
from settings import Settings
from storage import keys
from tests.conftest import bearer

FEATURES = {"duration_s": 4.0, "width": 320, "height": 568, "has_audio": True, "cuts_per_5s": 1.0,
            "dynamic_start": True, "hook_type": "question", "emotion": "curiosity", "pacing": "fast"}  # fmt: skip


class MetaClientUser:
    """A client with a connected ad account: its API token, account row id, Meta token and act id."""

    def __init__(self, settings: Settings, owner: str | None = None):
        self.owner = owner or f"meta-{uuid.uuid4().hex[:8]}"
        self.headers = bearer(issue_token(settings, self.owner))
        self.meta_token = f"EAAB{uuid.uuid4().hex}{uuid.uuid4().hex}"
        self.act = f"act_{uuid.uuid4().int % 10**14}"
        self.account_id = ""

    async def connect(self, api: httpx.AsyncClient) -> dict[str, Any]:
        body = {"account_id": self.act, "page_id": "1029384756", "access_token": self.meta_token}
        response = await api.post("/api/v1/ad-accounts", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        self.account_id = response.json()["id"]
        return dict(response.json())


async def draft_campaigns(
    db: Any, s3: Any, settings: Settings, owner: str, workdir: Path, count: int = 1, budget_cents: int = 5000
) -> list[uuid.UUID]:
    """A READY asset with `count` clips (each a real MP4 in the client bucket) and one draft per clip."""
    asset_id = uuid.uuid4()
    video = make_test_video(workdir / f"{asset_id}.mp4", duration_s=4.0)
    data = video.read_bytes()
    campaigns = []
    async with db.begin() as session:
        session.add(VideoAsset(id=asset_id, owner_id=owner, name="meta", product_category="meta-test", status="ready"))
        await session.flush()
        for n in range(count):
            clip_id, campaign_id = uuid.uuid4(), uuid.uuid4()
            ref = keys.clip(settings.r2_client_assets_bucket, asset_id, clip_id)
            # a byte of difference per clip: Meta (and its fake) tell the uploads apart by content
            await s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=data + bytes([n]))
            session.add(Clip(id=clip_id, video_asset_id=asset_id, status="READY", start_s=0, end_s=4,
                             clip_key=str(ref), features=FEATURES | {"duration_s": 4.0 + n / 10}))  # fmt: skip
            await session.flush()
            session.add(Campaign(id=campaign_id, video_asset_id=asset_id, clip_id=clip_id, platform=f"p{n}",
                                 name=f"META auto-campaign {n} for {asset_id}", budget_cents=budget_cents,
                                 optimization_meta={}))  # fmt: skip
            campaigns.append(campaign_id)
    return campaigns


async def publish(api: httpx.AsyncClient, user: MetaClientUser, campaign_id: uuid.UUID, **body: Any) -> httpx.Response:
    payload = {"ad_account_id": user.account_id, "link": "https://shop.example.com/p", "message": "Try it"} | body
    return await api.post(f"/campaigns/{campaign_id}/publish", json=payload, headers=user.headers)


async def outcome(temporal: Client, workflow_id: str, result_type: type = PublishCampaignOutput) -> Any:
    handle = temporal.get_workflow_handle(workflow_id, result_type=result_type)
    return await asyncio.wait_for(handle.result(), 180)
