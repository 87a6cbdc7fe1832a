"""What the API hands to SyncInsightsWorkflow from its settings, and the per-account schedule."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import TypedSearchAttributes

from api.analysis import analysis_options
from models.schemas.meta import BudgetPolicy, SyncInsightsInput
from settings import Settings
from workflows import search_attributes as sa
from workflows.meta_schedules import drop_sync_schedule, ensure_sync_schedule
from workflows.search_attributes import search_attributes


def sync_input(settings: Settings, ad_account_id: uuid.UUID) -> SyncInsightsInput:
    return SyncInsightsInput(
        ad_account_id=ad_account_id,
        lookback_days=settings.meta_insights_lookback_days,
        poll_seconds=settings.meta_insights_poll_seconds,
        frames_bucket=settings.r2_client_assets_bucket,
        vision_backend=settings.resolved_vision_backend,
        analysis=analysis_options(settings).model_dump(),
        budget=BudgetPolicy(
            min_share=settings.budget_min_share,
            change_threshold=settings.meta_budget_change_threshold,
            changes_per_hour=settings.meta_budget_changes_per_hour,
            half_life_days=settings.benchmark_half_life_days,
        ),
    )


def sync_attributes(owner_id: str, meta_account_id: str) -> TypedSearchAttributes:
    """What an operator finds an account's syncs by: the client and the Meta ad account (act_...)."""
    return search_attributes({sa.OWNER: owner_id, sa.AD_ACCOUNT: meta_account_id})


async def ensure_account_schedule(
    client: Client, settings: Settings, ad_account_id: uuid.UUID, attributes: TypedSearchAttributes | None = None
) -> bool:
    every = timedelta(minutes=settings.meta_sync_interval_minutes)
    return await ensure_sync_schedule(client, sync_input(settings, ad_account_id), every, attributes)


async def drop_account_schedule(client: Client, ad_account_id: uuid.UUID) -> None:
    await drop_sync_schedule(client, ad_account_id)
