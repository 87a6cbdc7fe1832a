"""TrainRulesWorkflow: refit each platform's rule weights from campaign results (daily schedule)."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.learning import LearningActivities
    from models.schemas.learning import TrainPlatformInput, TrainRulesInput, TrainRulesOutput
    from workflows.policies import TRAIN_RETRY, TRAIN_TIMEOUT
    from workflows.search_attributes import PLATFORM, upsert

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
        upsert({PLATFORM: params.platforms})
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
