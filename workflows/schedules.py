"""The daily rule-engine training schedule, created by the worker if it does not exist yet."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from models.schemas.learning import TrainRulesInput
from workflows.queues import TASK_QUEUE_MAIN
from workflows.search_attributes import TRIGGER, search_attributes
from workflows.train_rules import SCHEDULE_ID, TrainRulesWorkflow


async def ensure_training_schedule(client: Client, cron: str, params: TrainRulesInput) -> bool:
    """Create the schedule once (True); an existing one is left as operators may have tuned it (False)."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            TrainRulesWorkflow.run,
            params,
            id="train-rules-scheduled",
            task_queue=TASK_QUEUE_MAIN,
            typed_search_attributes=search_attributes({TRIGGER: "schedule"}),
        ),
        spec=ScheduleSpec(cron_expressions=[cron]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
