"""MetaSyncActivities: an insights report's pages stored as (ad, day) totals, and what follows from them.

Meta restates recent days as late conversions arrive, so each (ad, day) row holds that day's totals as last
reported, and only the difference from the stored row is counted into the campaign's and its creative's
totals — through models.reports.count_once and models.evidence, the same writers POSTed results use — so a
restated day replaces, never adds. The 5-conversion trigger hears the creative's new total as it does
after a POSTed report.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.campaigns import ledger
from activities.errors import typed_failures
from activities.meta import MetaActivities
from ads.meta.insights import AdDay, parse_row
from models.evidence import record_client_evidence
from models.reports import count_once
from models.schemas.analysis import AnalysisOptions, AnalyzeCreativeInput
from models.schemas.common import Done, PerformanceReport
from models.schemas.meta import (
    CreativeConversions,
    FinishSyncInput,
    NotifyCreativesInput,
    SyncPageInput,
    SyncPageOutput,
)
from models.tables import AdAccount, AdInsightDay, Campaign, CampaignPerformanceEvent, Creative, PerformanceEvent
from models.upsert import upsert_row

COUNTED = ("impressions", "clicks", "conversions")
STORED = (*COUNTED, "spend_minor", "video_plays", "thruplays")


def restatement(event_id: str, old: AdInsightDay | None, new: AdDay) -> PerformanceReport | None:
    """The change from the stored day to Meta's new figures (None: nothing changed).

    Built without validation on purpose: a restated day may go down (a negative delta), which no client may
    report but Meta may; both the stored and the new totals each keep conversions ≤ clicks ≤ impressions,
    so the running totals do too.
    """
    deltas = {field: getattr(new, field) - (getattr(old, field) if old else 0) for field in COUNTED}
    if not any(deltas.values()):
        return None
    return PerformanceReport.model_construct(event_id=event_id, **deltas)


class MetaSyncActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], meta: MetaActivities):
        self.sessionmaker = sessionmaker
        self.meta = meta

    @activity.defn
    @typed_failures
    async def sync_page(self, params: SyncPageInput) -> SyncPageOutput:
        """One page of the report read and stored in one transaction (a retry re-reads and finds no change)."""
        async with self.meta.client(params.ad_account_id) as meta:
            rows, after = await meta.report_page(params.report_run_id, params.after, params.page_size)
        days = [parse_row(row) for row in rows]
        changed, campaigns, creatives = 0, set(), {}
        async with self.sessionmaker.begin() as session:
            for day in sorted(days, key=lambda d: (d.ad_id, d.day)):  # one lock order for concurrent syncs
                result = await self._store_day(session, params.ad_account_id, day)
                if result is None:
                    continue
                campaign, creative = result
                changed += 1
                campaigns.add(campaign.id)
                if creative is not None and creative.video_key:
                    creatives[creative.id] = CreativeConversions(
                        creative_id=creative.id, conversions=creative.conversions, video_key=creative.video_key
                    )
        return SyncPageOutput(
            next_after=after, rows=len(days), days_changed=changed, campaign_ids=sorted(campaigns),
            creatives=list(creatives.values()),
        )  # fmt: skip

    async def _store_day(
        self, session: AsyncSession, account_id: uuid.UUID, day: AdDay
    ) -> tuple[Campaign, Creative | None] | None:
        campaign = await session.scalar(
            select(Campaign)
            .where(Campaign.meta_ad_id == day.ad_id, Campaign.ad_account_id == account_id)
            .with_for_update()
        )
        if campaign is None:
            return None  # an ad this engine did not publish (or another account's): not ours to count
        old = await session.scalar(
            select(AdInsightDay)
            .where(AdInsightDay.meta_ad_id == day.ad_id, AdInsightDay.day == day.day)
            .with_for_update()
        )
        stamp = old.updated_at.timestamp() if old is not None else 0
        report = restatement(f"meta:{day.ad_id}:{day.day.isoformat()}:{stamp}", old, day)
        if report is None and old is not None and all(getattr(old, f) == getattr(day, f) for f in STORED):
            return None
        values: dict[str, Any] = {f: getattr(day, f) for f in STORED}
        await upsert_row(
            session, AdInsightDay, {"meta_ad_id": day.ad_id, "day": day.day, "campaign_id": campaign.id, **values},
            keys=("meta_ad_id", "day"),
        )  # fmt: skip
        if report is None:
            return None  # spend or plays moved, not the funnel
        await count_once(session, CampaignPerformanceEvent, "campaign_id", campaign, report)
        creative = None
        if campaign.creative_id is not None:
            creative = await session.get(Creative, campaign.creative_id, with_for_update=True)
            if creative is not None and await count_once(session, PerformanceEvent, "creative_id", creative, report):
                await record_client_evidence(session, creative)
        return campaign, creative

    @activity.defn
    async def notify_creatives(self, params: NotifyCreativesInput) -> Done:
        """Each creative's workflow hears its new conversion total (started if idle), as after a POSTed report."""
        from workflows.analyze_creative import AnalyzeCreativeWorkflow, analysis_workflow_id
        from workflows.queues import TASK_QUEUE_MAIN

        client = activity.client()
        options = AnalysisOptions.model_validate(params.analysis)
        for creative in params.creatives:
            await client.start_workflow(
                AnalyzeCreativeWorkflow.run,
                AnalyzeCreativeInput(
                    creative_id=creative.creative_id, is_benchmark=False, video_key=creative.video_key,
                    frames_bucket=params.frames_bucket, vision_backend=params.vision_backend,
                    options=options, probed=True, conversions=creative.conversions,
                ),
                id=analysis_workflow_id(creative.creative_id),
                task_queue=TASK_QUEUE_MAIN,
                start_signal="record_conversions",
                start_signal_args=[creative.conversions],
            )  # fmt: skip
        return Done()

    @activity.defn
    async def finish_sync(self, params: FinishSyncInput) -> Done:
        """The account shows when it was last synced; the ledger keeps each sync once."""
        async with self.sessionmaker.begin() as session:
            await session.execute(
                update(AdAccount).where(AdAccount.id == params.ad_account_id).values(last_synced_at=datetime.now(UTC))
            )
            meta = {"report_run_id": params.report_run_id, "rows": params.rows, "days_changed": params.days_changed}
            await ledger(session, "insights_synced", "ad_account", params.ad_account_id, meta,
                         f"insights_synced:{params.ad_account_id}:{params.report_run_id}")  # fmt: skip
        return Done()
