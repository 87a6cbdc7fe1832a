"""TrainRulesWorkflow: refit each platform's rule weights from campaign results (daily schedule)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.errors import NON_RETRYABLE_TYPES
    from activities.learning import LearningActivities
    from models.schemas import TrainPlatformInput, TrainRulesInput, TrainRulesOutput

TRAIN_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=5,
    non_retryable_error_types=NON_RETRYABLE_TYPES,
)
TRAIN_TIMEOUT = timedelta(minutes=10)
SCHEDULE_ID = "train-rules-daily"


@workflow.defn
class TrainRulesWorkflow:
    """One fit per platform, in parallel; each stores a new weights version only if it wins held-out."""

    def __init__(self) -> None:
        self._phase = "starting"

    @workflow.query
    def progress(self) -> str:
        return self._phase

    @workflow.run
    async def run(self, params: TrainRulesInput) -> TrainRulesOutput:
        self._phase = f"training {', '.join(params.platforms)}"
        results = await asyncio.gather(
            *(
                workflow.execute_activity_method(
                    LearningActivities.train_platform_weights,
                    TrainPlatformInput(
                        platform=platform, l2=params.l2, min_improvement=params.min_improvement, seed=params.seed
                    ),
                    start_to_close_timeout=TRAIN_TIMEOUT,
                    retry_policy=TRAIN_RETRY,
                )
                for platform in params.platforms
            )
        )
        self._phase = "done"
        return TrainRulesOutput(results=list(results))
