"""`ugc demo`'s Meta part on the real stack: drafts published to the fake, days simulated, budgets moved."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from api.auth import issue_token
from devstack.demo_meta import run_meta_demo
from models.schemas.meta import PublishCampaignOutput
from settings import Settings
from tests.e2e.meta_helpers import draft_campaigns
from ugc_client import UgcClient

pytestmark = pytest.mark.usefixtures("worker")


async def test_demo_publishes_syncs_and_moves_the_budget(
    stack_settings: Settings, served_api: str, fake_meta_url: str, db: Any, s3: Any, tmp_path: Path, temporal: Client
) -> None:
    owner = "demo-meta-brand"
    campaigns = await draft_campaigns(db, s3, stack_settings, owner, tmp_path, count=2, budget_cents=7500)

    def demo() -> tuple[list[str], list[int]]:
        with (
            UgcClient(served_api, issue_token(stack_settings, owner), timeout=300) as client,
            UgcClient(served_api, issue_token(stack_settings, "demo-admin", admin=True), timeout=300) as admin,
        ):
            workflows = run_meta_demo(stack_settings, client, admin, campaigns)
            return workflows, [client.get_campaign(c).budget_cents for c in campaigns]

    workflows, budgets = await asyncio.to_thread(demo)
    assert [f"publish-{c}" for c in campaigns] == workflows[:2]
    assert sum(budgets) == 15_000 and budgets != [7500, 7500]  # the split moved with the evidence
    for workflow_id in workflows[:2]:  # published paused, as for any client; the demo switched them on after
        published = await temporal.get_workflow_handle(workflow_id, result_type=PublishCampaignOutput).result()
        assert published.status == "PAUSED"
