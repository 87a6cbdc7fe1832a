"""When the API stops waiting for a workflow (202), the client polls it to its end and returns the same model."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.auth import issue_token
from api.main import create_app
from models.schemas.campaigns import OrchestrateCampaignResponse
from settings import Settings
from tests.e2e.test_campaigns import VERTICAL_12S, WIDE_70S, _asset, _register
from ugc_client import AsyncUgcClient

pytestmark = pytest.mark.usefixtures("worker")


async def test_orchestrate_answered_202_is_waited_for(
    api: httpx.AsyncClient, stack_settings: Settings, db: object
) -> None:
    owner = f"slow-{uuid.uuid4().hex[:6]}"
    token = issue_token(stack_settings, owner)
    asset = await _asset(db, owner)
    await _register(api, token, asset, [VERTICAL_12S, WIDE_70S])
    # an API that waits a millisecond: every orchestration comes back 202 with the running workflow's id
    impatient = create_app(stack_settings.model_copy(update={"api_workflow_wait_seconds": 0.001}))
    async with impatient.router.lifespan_context(impatient):
        transport = httpx.ASGITransport(app=impatient)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
            first = await raw.post(
                "/campaigns/orchestrate",
                json={"video_asset_id": str(asset), "request_id": "slow-1"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert first.status_code == 202 and first.json()["workflow_id"]
        async with AsyncUgcClient("http://test", token, transport=transport) as client:
            response = await client.orchestrate_campaigns_for_video(asset, ["tiktok", "instagram"], request_id="slow-2")
    assert isinstance(response, OrchestrateCampaignResponse)
    assert len(response.campaigns_created) == 2 and {d.platform for d in response.decisions} == {"tiktok", "instagram"}
