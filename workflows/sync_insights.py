"""SyncInsightsWorkflow: an ad account's Meta insights (async report, polled, paged) into our results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.meta import MetaInsightsActivities
    from activities.meta_budget import MetaBudgetActivities
    from activities.meta_sync import MetaSyncActivities
    from models.schemas.meta import (
        ApplyBudgetInput,
        BudgetMove,
        CreativeConversions,
        FinishSyncInput,
        NotifyCreativesInput,
        PlanBudgetsInput,
        ReportState,
        ReportStatusInput,
        StartInsightsInput,
        SyncInsightsInput,
        SyncInsightsOutput,
        SyncPageInput,
        SyncPageOutput,
    )
    from workflows.policies import META_CALL_TIMEOUT, META_RETRY, RECORDS_RETRY, RECORDS_TIMEOUT

MAX_REPORT_POLLS = 720  # an hour at the default 5 s; Meta's jobs take seconds to minutes


def sync_schedule_id(ad_account_id: object) -> str:
    return f"meta-sync-{ad_account_id}"


@workflow.defn
class SyncInsightsWorkflow:
    """Report job → poll until complete (durable timer) → each page stored as (ad, day) totals → triggers."""

    def __init__(self) -> None:
        self._phase = "starting"

    @workflow.query
    def progress(self) -> str:
        return self._phase

    @workflow.run
    async def run(self, params: SyncInsightsInput) -> SyncInsightsOutput:
        account = params.ad_account_id
        today = workflow.now().date()
        since, until = (today - timedelta(days=params.lookback_days)).isoformat(), today.isoformat()
        self._phase = f"asking Meta for {since}..{until}"
        report_id: str = await self._meta(
            MetaInsightsActivities.start_insights, StartInsightsInput(ad_account_id=account, since=since, until=until)
        )
        for _ in range(MAX_REPORT_POLLS):
            state: ReportState = await self._meta(
                MetaInsightsActivities.report_status, ReportStatusInput(ad_account_id=account, report_run_id=report_id)
            )
            self._phase = f"report {report_id}: {state.status} ({state.percent} %)"
            if state.done:
                break
            if state.failed:
                raise ApplicationError(f"Meta's report job ended {state.status}", type="MetaTransient")
            await workflow.sleep(timedelta(seconds=params.poll_seconds))
        else:
            raise ApplicationError("Meta's report job did not complete in time", type="MetaTransient")
        rows = changed = 0
        campaigns: set[str] = set()
        creatives: dict[str, CreativeConversions] = {}
        after: str | None = None
        page = 0
        while True:
            page += 1
            self._phase = f"storing page {page} of report {report_id}"
            result: SyncPageOutput = await self._meta(
                MetaSyncActivities.sync_page,
                SyncPageInput(ad_account_id=account, report_run_id=report_id, after=after, page_size=params.page_size),
            )
            rows, changed = rows + result.rows, changed + result.days_changed
            campaigns.update(str(c) for c in result.campaign_ids)
            creatives.update({str(c.creative_id): c for c in result.creatives})
            after = result.next_after
            if after is None:
                break
        if creatives:
            self._phase = "telling the creatives' workflows their new conversions"
            await workflow.execute_activity_method(
                MetaSyncActivities.notify_creatives,
                NotifyCreativesInput(creatives=list(creatives.values()), frames_bucket=params.frames_bucket,
                                     vision_backend=params.vision_backend, analysis=params.analysis),
                start_to_close_timeout=RECORDS_TIMEOUT, retry_policy=RECORDS_RETRY,
            )  # fmt: skip
        await workflow.execute_activity_method(
            MetaSyncActivities.finish_sync,
            FinishSyncInput(ad_account_id=account, report_run_id=report_id, rows=rows, days_changed=changed),
            start_to_close_timeout=RECORDS_TIMEOUT, retry_policy=RECORDS_RETRY,
        )  # fmt: skip
        budgets: list[BudgetMove] = []
        if params.budget is not None and changed:
            self._phase = "moving budgets to the better clips"
            budgets = await workflow.execute_activity_method(
                MetaBudgetActivities.plan_budgets,
                PlanBudgetsInput(ad_account_id=account, policy=params.budget, seed=workflow.random().getrandbits(63)),
                start_to_close_timeout=RECORDS_TIMEOUT, retry_policy=RECORDS_RETRY,
            )  # fmt: skip
            request_id = f"{workflow.info().workflow_id}:{workflow.info().run_id}"
            for move in budgets:
                await self._meta(
                    MetaBudgetActivities.apply_budget,
                    ApplyBudgetInput(ad_account_id=account, move=move, request_id=request_id),
                )
        self._phase = "done"
        return SyncInsightsOutput(
            ad_account_id=account, report_run_id=report_id, since=since, until=until, rows=rows,
            days_changed=changed, campaigns=len(campaigns), budgets=budgets,
        )  # fmt: skip

    async def _meta(self, method: Any, arg: Any) -> Any:
        return await workflow.execute_activity_method(
            method, arg, start_to_close_timeout=META_CALL_TIMEOUT, retry_policy=META_RETRY
        )
