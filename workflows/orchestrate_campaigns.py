"""OrchestrateCampaignsWorkflow: score every platform in parallel → decisions → draft campaigns."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.campaigns import CampaignActivities
    from activities.learning import LearningActivities
    from models.schemas.campaigns import (
        CreateCampaignInput,
        DraftCampaign,
        OrchestrateCampaignResponse,
        OrchestrateCampaignsInput,
        PlatformDecision,
        RecordDecisionInput,
        ScorePlatformInput,
    )
    from models.schemas.learning import AllocateBudgetInput
    from workflows.policies import RECORDS_RETRY, RECORDS_TIMEOUT
    from workflows.search_attributes import PLATFORM, VIDEO_ASSET_ID, upsert


def orchestrate_workflow_id(video_asset_id: object, request_id: str) -> str:
    return f"orchestrate-{video_asset_id}-{request_id}"


@workflow.defn
class OrchestrateCampaignsWorkflow:
    """The clip selection and pre-orchestrator of docs/contract/campaigns-engine.md, made durable."""

    def __init__(self) -> None:
        self._phase = "starting"

    @workflow.query
    def progress(self) -> str:
        return self._phase

    @workflow.run
    async def run(self, params: OrchestrateCampaignsInput) -> OrchestrateCampaignResponse:
        upsert({VIDEO_ASSET_ID: params.video_asset_id, PLATFORM: params.platforms})
        self._phase = f"scoring {', '.join(params.platforms)}"
        decisions = await asyncio.gather(*(self._decide(params, platform) for platform in params.platforms))
        self._phase = "creating draft campaigns"
        campaigns = await asyncio.gather(*(self._draft(decision) for decision in decisions))
        budget = []
        if params.daily_budget_cents is not None:
            self._phase = "splitting the daily budget"
            budget = await workflow.execute_activity_method(
                LearningActivities.allocate_budget,
                AllocateBudgetInput(
                    video_asset_id=params.video_asset_id,
                    daily_budget_cents=params.daily_budget_cents,
                    campaign_ids=sorted({campaign.campaign_id for campaign in campaigns}),
                    min_share=params.budget_min_share,
                    half_life_days=params.half_life_days,
                    seed=workflow.random().getrandbits(63),
                    request_id=params.request_id,
                ),
                start_to_close_timeout=RECORDS_TIMEOUT,
                retry_policy=RECORDS_RETRY,
            )
            by_id = {allocation.campaign_id: allocation.budget_cents for allocation in budget}
            campaigns = [
                c.model_copy(update={"budget_cents": by_id.get(c.campaign_id, c.budget_cents)}) for c in campaigns
            ]
        self._phase = "done"
        return OrchestrateCampaignResponse(
            video_asset_id=params.video_asset_id,
            decisions=list(decisions),
            campaigns_created=[campaign.campaign_id for campaign in campaigns],
            campaigns=list(campaigns),
            budget=list(budget),
        )

    async def _decide(self, params: OrchestrateCampaignsInput, platform: str) -> PlatformDecision:
        decision = await workflow.execute_activity_method(
            CampaignActivities.score_platform,
            ScorePlatformInput(
                video_asset_id=params.video_asset_id, platform=platform, half_life_days=params.half_life_days
            ),
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
        )
        return await workflow.execute_activity_method(
            CampaignActivities.record_decision,
            RecordDecisionInput(decision=decision, request_id=params.request_id),
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
        )

    async def _draft(self, decision: PlatformDecision) -> DraftCampaign:
        return await workflow.execute_activity_method(
            CampaignActivities.create_draft_campaign,
            CreateCampaignInput(decision=decision, campaign_id=workflow.uuid4()),
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
        )
