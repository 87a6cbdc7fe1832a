"""PublishCampaignWorkflow: a draft campaign's clip and objects made on Meta, paused by default, exactly once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.media import MediaActivities
    from activities.meta import MetaActivities
    from activities.meta_records import MetaRecordsActivities
    from models.schemas.analysis import ExtractFramesInput
    from models.schemas.meta import (
        MetaEdge,
        MetaEnsureInput,
        MetaImageInput,
        MetaObjectRef,
        MetaUploadInput,
        MetaVideoStatusInput,
        PublishCampaignInput,
        PublishCampaignOutput,
        PublishPlan,
        RecordPublishedInput,
        RecordPublishFailedInput,
    )
    from workflows.policies import (
        MEDIA_HEARTBEAT,
        MEDIA_RETRY,
        MEDIA_TIMEOUT,
        META_CALL_TIMEOUT,
        META_RETRY,
        META_UPLOAD_HEARTBEAT,
        META_UPLOAD_TIMEOUT,
        RECORDS_RETRY,
        RECORDS_TIMEOUT,
    )
    from workflows.queues import TASK_QUEUE_MEDIA


def publish_workflow_id(campaign_id: object) -> str:
    return f"publish-{campaign_id}"


@workflow.defn
class PublishCampaignWorkflow:
    """Hook frame → thumbnail → video (chunked) → ready → creative → campaign → ad set → ad → stored + ledgered."""

    def __init__(self) -> None:
        self._phase = "starting"

    @workflow.query
    def progress(self) -> str:
        return self._phase

    @workflow.run
    async def run(self, params: PublishCampaignInput) -> PublishCampaignOutput:
        try:
            return await self._publish(params)
        except (ActivityError, ApplicationError) as failure:
            cause = failure.cause if isinstance(failure, ActivityError) else failure
            reason = str(cause.message if isinstance(cause, ApplicationError) else failure)
            await workflow.execute_activity_method(
                MetaRecordsActivities.record_publish_failed,
                RecordPublishFailedInput(campaign_id=params.campaign_id, reason=reason),
                start_to_close_timeout=RECORDS_TIMEOUT,
                retry_policy=RECORDS_RETRY,
            )
            raise

    async def _publish(self, params: PublishCampaignInput) -> PublishCampaignOutput:
        self._phase = "checking the draft"
        plan = await workflow.execute_activity_method(
            MetaRecordsActivities.prepare_publish, params,
            start_to_close_timeout=RECORDS_TIMEOUT, retry_policy=RECORDS_RETRY,
        )  # fmt: skip
        account = params.ad_account_id
        self._phase = "taking the hook frame"
        frames = await workflow.execute_activity_method(
            MediaActivities.extract_frames,
            ExtractFramesInput(
                creative_id=plan.creative_id, analysis_id=plan.campaign_id, video_key=plan.clip_key,
                frames_bucket=plan.frames_bucket, timestamps=[0.0], max_edge=params.frame_max_edge,
            ),
            task_queue=TASK_QUEUE_MEDIA, start_to_close_timeout=MEDIA_TIMEOUT, heartbeat_timeout=MEDIA_HEARTBEAT,
            retry_policy=MEDIA_RETRY,
        )  # fmt: skip
        image_hash = await self._call(
            MetaActivities.upload_image, MetaImageInput(ad_account_id=account, key=frames.frames[0].key,
                                                        name=f"{plan.names['video']} hook.jpg"))  # fmt: skip
        self._phase = "uploading the clip to Meta"
        video = await workflow.execute_activity_method(
            MetaActivities.upload_video,
            MetaUploadInput(ad_account_id=account, key=plan.clip_key, title=plan.names["video"]),
            start_to_close_timeout=META_UPLOAD_TIMEOUT,
            heartbeat_timeout=META_UPLOAD_HEARTBEAT, retry_policy=META_RETRY,
        )  # fmt: skip
        await self._wait_until_ready(params, video.id)
        made: dict[str, MetaObjectRef] = {}
        spec = {
            "page_id": plan.page_id,
            "video_data": {
                "video_id": video.id, "image_hash": image_hash, "message": params.message,
                "call_to_action": {"type": params.call_to_action, "value": {"link": params.link}},
            },
        }  # fmt: skip
        made["meta_creative_id"] = await self._ensure(plan, account, "adcreatives", {"object_story_spec": spec})
        made["meta_campaign_id"] = await self._ensure(plan, account, "campaigns", {
            "objective": params.objective, "special_ad_categories": [], "status": params.status,
            "buying_type": "AUCTION", "is_adset_budget_sharing_enabled": False,
        })  # fmt: skip
        made["meta_adset_id"] = await self._ensure(plan, account, "adsets", {
            "campaign_id": made["meta_campaign_id"].id, "daily_budget": plan.daily_budget_cents,
            "billing_event": params.billing_event, "optimization_goal": params.optimization_goal,
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP", "targeting": params.targeting,
            "promoted_object": params.promoted_object, "status": params.status,
        })  # fmt: skip
        made["meta_ad_id"] = await self._ensure(plan, account, "ads", {
            "adset_id": made["meta_adset_id"].id, "creative": {"creative_id": made["meta_creative_id"].id},
            "status": params.status,
        })  # fmt: skip
        ids = {"meta_video_id": video.id} | {column: ref.id for column, ref in made.items()}
        self._phase = "recording the published ids"
        await workflow.execute_activity_method(
            MetaRecordsActivities.record_published,
            RecordPublishedInput(campaign_id=plan.campaign_id, ad_account_id=account, ids=ids, status=params.status),
            start_to_close_timeout=RECORDS_TIMEOUT, retry_policy=RECORDS_RETRY,
        )  # fmt: skip
        self._phase = "done"
        created = [column for column, ref in made.items() if ref.created] + (["meta_video_id"] if video.created else [])
        return PublishCampaignOutput(campaign_id=plan.campaign_id, status=params.status, ids=ids, created=created)

    async def _wait_until_ready(self, params: PublishCampaignInput, video_id: str) -> None:
        """Meta encodes the upload before it can be used: poll with a durable timer, not a sleeping activity."""
        waited = 0.0
        while True:
            self._phase = f"waiting for Meta to process the video ({waited:.0f}s)"
            status = await self._call(
                MetaActivities.video_status, MetaVideoStatusInput(ad_account_id=params.ad_account_id, video_id=video_id)
            )
            if status == "ready":
                return
            if status == "error" or waited >= params.video_ready_timeout_seconds:
                why = "Meta could not process the video" if status == "error" else "the video was not ready in time"
                raise ApplicationError(why, type="MetaInvalidRequest", non_retryable=True)
            await workflow.sleep(timedelta(seconds=params.video_poll_seconds))
            waited += params.video_poll_seconds

    async def _ensure(
        self, plan: PublishPlan, account: uuid.UUID, edge: MetaEdge, fields: dict[str, Any]
    ) -> MetaObjectRef:
        self._phase = f"making the {edge[:-1]} on Meta"
        ref: MetaObjectRef = await self._call(
            MetaActivities.ensure_object,
            MetaEnsureInput(ad_account_id=account, edge=edge, name=plan.names[edge], fields=fields),
        )
        return ref

    async def _call(self, method: Any, arg: Any) -> Any:
        return await workflow.execute_activity_method(
            method, arg, start_to_close_timeout=META_CALL_TIMEOUT, retry_policy=META_RETRY
        )
