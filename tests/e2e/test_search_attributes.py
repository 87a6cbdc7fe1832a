"""Workflows are found by their custom search attributes: set at start by the API, upserted by workflows,
inherited by child workflows (the Temporal UI and `temporal workflow list --query` use the same queries)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from api.auth import issue_token
from devstack.samples import make_test_video
from models.tables import VideoAsset
from settings import Settings
from tests.conftest import bearer
from tests.support.clip_features import VERTICAL_12S
from tests.support.visibility import listed
from workflows.search_attributes import ALL_KEYS, register_search_attributes

pytestmark = pytest.mark.usefixtures("worker")


async def test_the_dev_server_knows_every_attribute(temporal: Client) -> None:
    assert await register_search_attributes(temporal) == []  # `ugc temporal-setup` on it adds nothing
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    registered = await temporal.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=temporal.namespace)
    )
    assert {key.name for key in ALL_KEYS} <= set(registered.custom_attributes)


async def test_orchestrations_are_found_by_owner_asset_and_platform(
    api: httpx.AsyncClient, stack_settings: Settings, temporal: Client, db: Any
) -> None:
    owner = f"sa-owner-{uuid.uuid4().hex[:8]}"
    token = issue_token(stack_settings, owner)
    asset_id = uuid.uuid4()
    async with db.begin() as session:
        session.add(VideoAsset(id=asset_id, owner_id=owner, name="a", product_category="sa-skincare", status="ready"))
    clips = [{"start_s": 0, "end_s": 12, "features": VERTICAL_12S}]
    registered = await api.post(f"/api/v1/video-assets/{asset_id}/clips", headers=bearer(token), json=clips)
    assert registered.status_code == 201, registered.text
    for platforms in (["tiktok", "instagram"], ["youtube"]):
        body = {"video_asset_id": str(asset_id), "platforms": platforms}
        response = await api.post("/campaigns/orchestrate", headers=bearer(token), json=body)
        assert response.status_code == 200, response.text

    everything = await listed(temporal, f'UgcOwner = "{owner}"', 2)
    assert len(everything) == 2
    tiktok = await listed(temporal, f'UgcOwner = "{owner}" AND UgcPlatform = "tiktok"', 1)
    assert len(tiktok) == 1
    by_asset = f'UgcVideoAssetId = "{asset_id}" AND UgcProductCategory = "sa-skincare"'
    by_asset += ' AND ExecutionStatus = "Completed"'
    assert await listed(temporal, by_asset, 2) == everything
    assert await listed(temporal, 'UgcOwner = "nobody-at-all"', 0) == []


async def test_a_benchmark_analysis_inherits_the_ingest_attributes(
    api: httpx.AsyncClient, admin_token: str, temporal: Client, media_dir: Path, file_server: str
) -> None:
    make_test_video(media_dir / "sa-bench.mp4", duration_s=4.0)
    category = f"sa-cat-{uuid.uuid4().hex[:6]}"
    fields = {
        "creative_name": "searchable",
        "product_category": category,
        "source_platform": "instagram",
        "market_cvr": 0.05,
        "market_longevity_days": 30,
        "avg_daily_clicks": 1000,
        "hook_type": "question",
        "emotion": "curiosity",
        "pacing": "fast",
        "target_audience_pain": "none",
    }
    response = await api.post(
        "/api/v1/benchmarks", headers=bearer(admin_token), json={**fields, "video_url": f"{file_server}/sa-bench.mp4"}
    )
    assert response.status_code == 202, response.text
    started = response.json()
    await temporal.get_workflow_handle(started["workflow_id"]).result()

    query = f'UgcProductCategory = "{category}" AND UgcPlatform = "instagram"'
    found = await listed(temporal, query, 2)
    assert found == sorted([started["workflow_id"], f"creative-{started['creative_id']}"])
    analysis = f'UgcCreativeId = "{started["creative_id"]}" AND UgcTrigger = "benchmark" AND UgcOwner = "admin-1"'
    assert await listed(temporal, analysis, 1) == [f"creative-{started['creative_id']}"]
