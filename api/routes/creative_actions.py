"""Performance feedback (owner/admin) and forced re-analysis (admin), both reaching the workflow."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from activities.records import pattern_row_id
from api.analysis import analysis_input
from api.creatives_access import owned_creative
from api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalDep
from api.errors import Conflict, NotFound
from domain.prior import CLIENT_WEIGHT
from models.schemas import (
    ForceAnalyzeRequest,
    PerformanceReport,
    PerformanceTotals,
    WorkflowSignalled,
)
from models.tables import Creative, CreativeAnalysis, PatternPerformance, PerformanceEvent
from settings import Settings
from workflows.analyze_creative import AnalyzeCreativeWorkflow, analysis_workflow_id
from workflows.queues import TASK_QUEUE_MAIN

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
    inserted = await session.scalar(
        insert(PerformanceEvent)
        .values(
            creative_id=creative_id,
            event_id=report.event_id,
            impressions=report.impressions,
            clicks=report.clicks,
            conversions=report.conversions,
        )
        .on_conflict_do_nothing(index_elements=["creative_id", "event_id"])
        .returning(PerformanceEvent.id)
    )
    if inserted is not None:
        creative.impressions += report.impressions
        creative.clicks += report.clicks
        creative.conversions += report.conversions
        await _upsert_client_pattern(session, creative)
    await session.commit()
    if creative.status != "failed":
        await _signal_conversions(temporal, settings, session, creative)
    return PerformanceTotals(
        creative_id=creative.id,
        counted=inserted is not None,
        impressions=creative.impressions,
        clicks=creative.clicks,
        conversions=creative.conversions,
    )


async def _upsert_client_pattern(session: SessionDep, creative: Creative) -> None:
    """The creative's own evidence: Beta(1 + conversions, 1 + clicks - conversions), weight 1."""
    alpha = 1.0 + creative.conversions
    beta = 1.0 + max(creative.clicks - creative.conversions, 0)
    values = {
        "id": pattern_row_id(creative.id, "client"),
        "creative_id": creative.id,
        "source": "client",
        "weight": CLIENT_WEIGHT,
        "hook_type": creative.hook_type,
        "emotion": creative.emotion,
        "pacing": creative.pacing,
        "product_category": creative.product_category,
        "bayesian_alpha": alpha,
        "bayesian_beta": beta,
    }
    statement = insert(PatternPerformance).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"bayesian_alpha": alpha, "bayesian_beta": beta, "updated_at": func.now()},
        )
    )


async def _signal_conversions(client: Client, settings: Settings, session: SessionDep, creative: Creative) -> None:
    """Signal-with-start: a workflow that went idle is started again, knowing its past analyses."""
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
    await client.start_workflow(
        AnalyzeCreativeWorkflow.run,
        params,
        id=analysis_workflow_id(creative.id),
        task_queue=TASK_QUEUE_MAIN,
        start_signal="record_conversions",
        start_signal_args=[creative.conversions],
        memo={"owner_id": creative.owner_id or "", "creative_id": str(creative.id)},
    )


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
    done = await session.scalar(
        select(func.count()).select_from(CreativeAnalysis).where(CreativeAnalysis.creative_id == creative.id)
    )
    params = analysis_input(
        settings,
        creative.id,
        is_benchmark=creative.is_benchmark,
        video_key=creative.video_key,
        probed=creative.status == "ready",
        conversions=creative.conversions,
    )
    params.analyses_done = done or 0
    workflow_id = analysis_workflow_id(creative.id)
    await temporal.start_workflow(
        AnalyzeCreativeWorkflow.run,
        params,
        id=workflow_id,
        task_queue=TASK_QUEUE_MAIN,
        start_signal="force_analyze",
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        memo={"owner_id": creative.owner_id or "", "creative_id": str(creative.id)},
    )
    await session.execute(update(Creative).where(Creative.id == creative.id).values(analysis_status="queued"))
    return WorkflowSignalled(workflow_id=workflow_id)
