"""What several workflows share: how a plain database write (an idempotent UPDATE/UPSERT) is run."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.policies import RECORDS_RETRY, RECORDS_TIMEOUT


async def record(method: Any, arg: Any) -> None:
    """Run one records activity to completion."""
    await workflow.execute_activity_method(
        method, arg, start_to_close_timeout=RECORDS_TIMEOUT, retry_policy=RECORDS_RETRY
    )


def failure_of(err: ActivityError, default_type: str) -> tuple[str, str]:
    """(reason, error type) of a failed activity, to record and to fail the workflow with."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return cause.message, cause.type or default_type
    # a timeout or a cancellation: its class says what happened
    return str(cause or err), type(cause).__name__ if cause else default_type
