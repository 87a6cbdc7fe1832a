"""GET /api/v1/workflows/{workflow_id}: status and result or failure, for polling."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowQueryFailedError
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import CurrentUser, TemporalDep
from api.errors import NotFound
from models.schemas.common import WorkflowStatus

router = APIRouter(prefix="/api/v1", tags=["workflows"])


@router.get("/workflows/{workflow_id}", response_model=WorkflowStatus, summary="A workflow's status and outcome")
async def get_workflow(workflow_id: str, user: CurrentUser, temporal: TemporalDep) -> WorkflowStatus:
    handle = temporal.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFound("no such workflow") from None
        raise
    memo = await description.memo()
    if not user.is_admin and memo.get("owner_id") != user.id:
        raise NotFound("no such workflow")  # another user's workflow answers like a missing one
    status = description.status or WorkflowExecutionStatus.RUNNING
    answer = WorkflowStatus(
        workflow_id=workflow_id,
        run_id=description.run_id,
        workflow_type=description.workflow_type,
        status=status.name,
    )
    if status == WorkflowExecutionStatus.RUNNING:
        answer.progress = await _progress(handle)
    elif status == WorkflowExecutionStatus.COMPLETED:
        answer.result = await handle.result()
    elif status in {
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.TERMINATED,
        WorkflowExecutionStatus.TIMED_OUT,
        WorkflowExecutionStatus.CANCELED,
    }:
        answer.failure = await _failure(handle)
    return answer


async def _progress(handle: Any) -> str | None:
    try:
        return str(await handle.query("progress"))
    except (RPCError, WorkflowQueryFailedError):
        return None  # no worker has picked it up yet, or the workflow has no progress query


async def _failure(handle: Any) -> dict[str, Any]:
    try:
        await handle.result()
    except WorkflowFailureError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            return {"type": cause.type or "ApplicationError", "message": cause.message}
        if isinstance(cause, FailureError):
            return {"type": type(cause).__name__, "message": cause.message}
        return {"type": type(cause).__name__, "message": str(cause)}
    return {"type": "Unknown", "message": "the workflow did not complete"}
