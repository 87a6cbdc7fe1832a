"""What several workflows share: how a plain database write (an idempotent UPDATE/UPSERT) is run, how
an activity failure becomes a recorded reason, and how objects no longer wanted are deleted."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.storage import StorageActivities
    from models.schemas.media import DeleteObjectsInput
    from workflows.policies import COPY_TIMEOUT, MEDIA_RETRY, RECORDS_RETRY, RECORDS_TIMEOUT
    from workflows.queues import TASK_QUEUE_TRANSFER


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


async def delete_objects(keys: list[str], what: str) -> None:
    """Delete objects on the transfer queue; a delete that keeps failing only logs (it leaves storage, not state)."""
    try:
        await workflow.execute_activity_method(
            StorageActivities.delete_objects,
            DeleteObjectsInput(keys=keys),
            task_queue=TASK_QUEUE_TRANSFER,
            start_to_close_timeout=COPY_TIMEOUT,
            retry_policy=MEDIA_RETRY,
        )
    except ActivityError as err:
        workflow.logger.warning("could not delete %s %s: %s", what, keys, err.cause or err)
