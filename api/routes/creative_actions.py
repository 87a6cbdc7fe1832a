"""Performance feedback (owner/admin) and forced re-analysis (admin), both reaching the workflow."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select
from temporalio.client import Client

from api.analysis import analysis_input
from api.creatives_access import owned_creative
from api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalDep
from api.errors import Conflict, NotFound
from api.reports import count_once
from api.services.caps import charge_conversion_analysis
from models.evidence import record_client_evidence
from models.schemas.common import PerformanceReport, WorkflowSignalled
from models.schemas.creatives import ForceAnalyzeRequest, PerformanceTotals
from models.tables import Creative, CreativeAnalysis, PerformanceEvent
from settings import Settings
from workflows.analyze_creative import AnalyzeCreativeWorkflow, analysis_workflow_id
from workflows.queues import TASK_QUEUE_MAIN
from workflows.search_attributes import CREATIVE_ID, OWNER, PRODUCT_CATEGORY, search_attributes

router = APIRouter(prefix="/api/v1/creatives", tags=["creatives"])


@router.post(
    "/{creative_id}/performance",
    response_model=PerformanceTotals,
    summary="Report impressions, clicks and conversions (deltas); the 5th conversion triggers analysis",
)
async def report_performance(
    creative_id: uuid.UUID,
    report: PerformanceReport,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> PerformanceTotals:
    creative = await owned_creative(session, creative_id, user)
    before = creative.conversions
    counted = await count_once(session, PerformanceEvent, "creative_id", creative, report)
    if counted:
        await record_client_evidence(session, creative)
        # past the daily cap of analyses this is 429 and nothing of the report is kept: resend it later
        await charge_conversion_analysis(session, settings, user, creative, before)
    await session.commit()
    # the workflow hears only news: a repeated event_id or a report without conversions changes nothing
    if counted and report.conversions and creative.status != "failed":
        await _signal_with_start(temporal, settings, session, creative, "record_conversions", [creative.conversions])
    return PerformanceTotals(
        creative_id=creative.id,
        counted=counted,
        impressions=creative.impressions,
        clicks=creative.clicks,
        conversions=creative.conversions,
    )


async def _signal_with_start(
    client: Client, settings: Settings, session: SessionDep, creative: Creative, signal: str, args: list[Any]
) -> str:
    """Signal the creative's workflow; one that went idle is started again, knowing its past analyses."""
    done = await session.scalar(
        select(func.count()).select_from(CreativeAnalysis).where(CreativeAnalysis.creative_id == creative.id)
    )
    params = analysis_input(
        settings,
        creative.id,
        is_benchmark=creative.is_benchmark,
        video_key=creative.video_key or "",
        probed=creative.status == "ready",
        conversions=creative.conversions,
    )
    params.analyses_done = done or 0
    workflow_id = analysis_workflow_id(creative.id)
    await client.start_workflow(
        AnalyzeCreativeWorkflow.run,
        params,
        id=workflow_id,
        task_queue=TASK_QUEUE_MAIN,
        start_signal=signal,
        start_signal_args=args,
        memo={"owner_id": creative.owner_id or "", "creative_id": str(creative.id)},
        search_attributes=search_attributes(
            {OWNER: creative.owner_id, CREATIVE_ID: creative.id, PRODUCT_CATEGORY: creative.product_category}
        ),
    )
    return workflow_id


@router.post(
    "/force-analyze",
    status_code=202,
    response_model=WorkflowSignalled,
    summary="Analyze a creative now, whatever its triggers say (admin)",
)
async def force_analyze(
    body: ForceAnalyzeRequest,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> WorkflowSignalled:
    creative = await session.get(Creative, body.creative_id)
    if creative is None:
        raise NotFound("no such creative")
    if creative.status == "failed" or creative.video_key is None:
        raise Conflict(f"the video was refused and cannot be analyzed: {creative.failure_reason}")
    # the workflow owns analysis_status (it writes `analyzing` when it takes the request, or folds the
    # request into the analysis already running): a write here would race it
    workflow_id = await _signal_with_start(temporal, settings, session, creative, "force_analyze", [])
    return WorkflowSignalled(workflow_id=workflow_id)
