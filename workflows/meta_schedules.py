"""One insights schedule per connected ad account: created on connect, deleted on disconnect."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.common import TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from models.schemas.meta import SyncInsightsInput
from workflows.queues import TASK_QUEUE_MAIN
from workflows.sync_insights import SyncInsightsWorkflow, sync_schedule_id


async def ensure_sync_schedule(
    client: Client, params: SyncInsightsInput, every: timedelta, attributes: TypedSearchAttributes | None = None
) -> bool:
    """Create the account's schedule (True); an existing one is kept as operators may have tuned it (False)."""
    account = params.ad_account_id
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            SyncInsightsWorkflow.run, params, id=f"sync-insights-{account}", task_queue=TASK_QUEUE_MAIN,
            memo={"ad_account_id": str(account)}, typed_search_attributes=attributes or TypedSearchAttributes.empty,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # a sync still running when the next is due: skip it, the next one asks for the same days again
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )  # fmt: skip
    try:
        await client.create_schedule(sync_schedule_id(account), schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True


async def drop_sync_schedule(client: Client, ad_account_id: object) -> None:
    """Delete the account's schedule; one already gone is fine."""
    try:
        await client.get_schedule_handle(sync_schedule_id(ad_account_id)).delete()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
