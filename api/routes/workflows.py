"""GET /api/v1/workflows/{workflow_id}: status and result or failure, for polling."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from temporalio.client import (
    RPCTimeoutOrCancelledError,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import CurrentUser, TemporalDep
from api.errors import InvalidInput, NotFound
from models.schemas.common import WorkflowStatus

router = APIRouter(prefix="/api/v1", tags=["workflows"])

ResultT = TypeVar("ResultT")

# every id this service makes (`creative-<uuid>`, `orchestrate-<uuid>-<request id>`, a schedule's
# `train-rules-scheduled-2026-01-01T03:00:00Z`, ...) fits; anything else is refused before Temporal is asked
WORKFLOW_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
MAX_WORKFLOW_ID_LENGTH = 200
PROGRESS_QUERY_TIMEOUT = timedelta(seconds=2)
WorkflowId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_WORKFLOW_ID_LENGTH,
        pattern=WORKFLOW_ID_PATTERN,
        description="a workflow id as a 202 or 201 answer gave it",
        examples=["ingest-benchmark-6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10"],
    ),
]


def workflow_url(workflow_id: str) -> str:
    return f"/api/v1/workflows/{workflow_id}"


class WorkflowRunning(BaseModel):
    """202: the workflow runs on past API_WORKFLOW_WAIT_SECONDS; poll `status_url` (also `Location`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": "orchestrate-0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c-req-42",
                    "status": "RUNNING",
                    "status_url": "/api/v1/workflows/orchestrate-0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c-req-42",
                }
            ]
        }
    )

    workflow_id: str
    status: Literal["RUNNING"] = "RUNNING"
    status_url: str


STILL_RUNNING_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {
        "model": WorkflowRunning,
        "description": "The workflow is still running after API_WORKFLOW_WAIT_SECONDS (30 s by default); it goes "
        "on, and `GET /api/v1/workflows/{workflow_id}` (the `Location` header) gives its outcome.",
    }
}


async def result_or_running(handle: WorkflowHandle[Any, ResultT], seconds: float) -> ResultT | JSONResponse:
    """The workflow's result, or a 202 `WorkflowRunning` once `seconds` pass (the workflow is not cancelled)."""
    try:
        async with asyncio.timeout(seconds) as deadline:
            return await handle.result()
    except TimeoutError:
        if not deadline.expired():
            raise  # a timeout inside the client, not ours
    url = workflow_url(handle.id)
    body = WorkflowRunning(workflow_id=handle.id, status_url=url)
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": url})


@router.get(
    "/workflows/{workflow_id}",
    response_model=WorkflowStatus,
    summary="A workflow's status and outcome",
    responses={422: {"description": "not a workflow id: letters, digits and `._:-`, up to 200 characters"}},
)
async def get_workflow(workflow_id: WorkflowId, user: CurrentUser, temporal: TemporalDep) -> WorkflowStatus:
    handle = temporal.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFound("no such workflow") from None
        if exc.status == RPCStatusCode.INVALID_ARGUMENT:  # an id Temporal itself refuses
            raise InvalidInput([{"field": "workflow_id", "message": exc.message}]) from None
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
        # a query waits for a worker to answer it: while none is polling, the status comes without progress
        return str(await handle.query("progress", rpc_timeout=PROGRESS_QUERY_TIMEOUT))
    except (RPCError, RPCTimeoutOrCancelledError, WorkflowQueryFailedError):
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
