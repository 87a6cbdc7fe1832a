"""IngestBenchmarkWorkflow: stage the video → probe it → publish it → upsert records → start analysis."""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.errors import INVALID_INPUT
    from activities.media import MediaActivities
    from activities.records import RecordsActivities
    from activities.storage import StorageActivities
    from domain.prior import InvalidMarketFigures, benchmark_prior
    from models.schemas.analysis import AnalyzeCreativeInput
    from models.schemas.benchmarks import (
        IngestBenchmarkInput,
        IngestBenchmarkOutput,
        RecordFailureInput,
        UpsertBenchmarkInput,
    )
    from models.schemas.media import (
        DeleteObjectsInput,
        FetchVideoInput,
        ProbeVideoInput,
        PublishObjectInput,
        StoredObject,
        VideoProbe,
    )
    from storage import keys
    from telemetry.metrics import INGESTS
    from workflows.analyze_creative import AnalyzeCreativeWorkflow, analysis_workflow_id
    from workflows.common import failure_of
    from workflows.policies import (
        FETCH_TIMEOUT,
        MEDIA_HEARTBEAT,
        MEDIA_RETRY,
        MEDIA_TIMEOUT,
        RECORDS_RETRY,
        RECORDS_TIMEOUT,
    )
    from workflows.queues import TASK_QUEUE_MEDIA, TASK_QUEUE_TRANSFER
    from workflows.search_attributes import (
        CREATIVE_ID,
        OWNER,
        PLATFORM,
        PRODUCT_CATEGORY,
        TRIGGER,
        UPSERT_PATCH,
        inherited,
        search_attributes,
        upsert,
    )


def ingest_workflow_id(creative_id: object) -> str:
    return f"ingest-benchmark-{creative_id}"


@workflow.defn
class IngestBenchmarkWorkflow:
    """One market benchmark, from URL or upload to a public, probed video with its Beta prior."""

    def __init__(self) -> None:
        self._stage = "starting"

    @workflow.query
    def progress(self) -> str:
        """Where the ingest is: fetching, probing, publishing, recording, analysis-started, failed."""
        return self._stage

    @workflow.run
    async def run(self, params: IngestBenchmarkInput) -> IngestBenchmarkOutput:
        fields = params.fields
        upsert(
            {
                CREATIVE_ID: params.creative_id,
                PRODUCT_CATEGORY: fields.product_category,
                PLATFORM: [fields.source_platform],
            }
        )
        try:
            prior = benchmark_prior(
                fields.market_cvr,
                fields.market_longevity_days,
                fields.avg_daily_clicks,
                params.prior_max_clicks,
            )
        except InvalidMarketFigures as exc:
            raise ApplicationError(str(exc), type=INVALID_INPUT, non_retryable=True) from None

        staging_key = str(keys.benchmark_staging(params.staging_bucket, params.creative_id))
        published_key: str | None = None
        try:
            stored = await self._stage_video(params, staging_key)
            self._stage = "probing"
            probe: VideoProbe = await workflow.execute_activity_method(
                MediaActivities.probe_video,
                ProbeVideoInput(key=staging_key),
                task_queue=TASK_QUEUE_MEDIA,
                start_to_close_timeout=MEDIA_TIMEOUT,
                heartbeat_timeout=MEDIA_HEARTBEAT,
                retry_policy=MEDIA_RETRY,
            )
            self._stage = "publishing"
            video_key = str(keys.benchmark_video(params.public_bucket, params.creative_id, probe.extension))
            await workflow.execute_activity_method(
                StorageActivities.publish_object,
                PublishObjectInput(
                    source_key=staging_key,
                    dest_key=video_key,
                    content_type=keys.content_type(probe.extension),
                    metadata={
                        "source_platform": fields.source_platform,
                        "market_cvr": str(fields.market_cvr),
                        "market_longevity_days": str(fields.market_longevity_days),
                        "sha256": stored.sha256,
                    },
                ),
                task_queue=TASK_QUEUE_TRANSFER,
                start_to_close_timeout=FETCH_TIMEOUT,
                retry_policy=MEDIA_RETRY,
            )
            published_key = video_key
            self._stage = "recording"
            await workflow.execute_activity_method(
                RecordsActivities.upsert_benchmark,
                UpsertBenchmarkInput(
                    creative_id=params.creative_id,
                    fields=fields,
                    video=StoredObject(key=video_key, sha256=stored.sha256, size_bytes=stored.size_bytes),
                    probe=probe,
                    source_url=params.source.url,
                    original_filename=params.source.original_filename,
                    bayesian_alpha=prior.alpha,
                    bayesian_beta=prior.beta,
                ),
                start_to_close_timeout=RECORDS_TIMEOUT,
                retry_policy=RECORDS_RETRY,
            )
        except ActivityError as err:
            await self._fail(params, err, staging_key, published_key)
            raise AssertionError("unreachable") from None

        analysis_id = analysis_workflow_id(params.creative_id)
        try:
            await workflow.start_child_workflow(
                AnalyzeCreativeWorkflow.run,
                AnalyzeCreativeInput(
                    creative_id=params.creative_id,
                    is_benchmark=True,
                    video_key=video_key,
                    frames_bucket=params.staging_bucket,  # frames stay private, even a benchmark's
                    vision_backend=params.vision_backend,
                    options=params.analysis_options,
                    probed=True,
                ),
                id=analysis_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                search_attributes=self._analysis_attributes(),
            )
        except WorkflowAlreadyStartedError:
            pass  # a re-ingest: the creative's analysis workflow is already there, listening
        self._stage = "analysis-started"
        INGESTS.add(outcome="published")
        return IngestBenchmarkOutput(
            creative_id=params.creative_id,
            video_key=video_key,
            bayesian_alpha=prior.alpha,
            bayesian_beta=prior.beta,
            analysis_workflow_id=analysis_id,
        )

    def _analysis_attributes(self) -> TypedSearchAttributes | None:
        """The analysis is found by the benchmark's owner, id, category and platform (runs before the patch: none)."""
        if not workflow.patched(UPSERT_PATCH):
            return None
        values = inherited([OWNER, CREATIVE_ID, PRODUCT_CATEGORY, PLATFORM])
        return search_attributes(values | {TRIGGER: "benchmark"})

    async def _stage_video(self, params: IngestBenchmarkInput, staging_key: str) -> StoredObject:
        source = params.source
        if source.url is None:  # the API already streamed the upload to the staging key
            return StoredObject(key=staging_key, sha256=source.staged_sha256 or "", size_bytes=source.staged_size or 0)
        self._stage = "fetching"
        return await workflow.execute_activity_method(
            StorageActivities.fetch_video,
            FetchVideoInput(url=source.url, dest_key=staging_key, max_bytes=params.max_bytes),
            task_queue=TASK_QUEUE_TRANSFER,
            start_to_close_timeout=FETCH_TIMEOUT,
            heartbeat_timeout=MEDIA_HEARTBEAT,
            retry_policy=MEDIA_RETRY,
        )

    async def _fail(
        self, params: IngestBenchmarkInput, err: ActivityError, staging_key: str, published_key: str | None
    ) -> None:
        """Record the refusal, remove what this run stored, and fail with the cause's type."""
        self._stage = "failed"
        INGESTS.add(outcome="refused")
        reason, error_type = failure_of(err, "IngestFailed")
        recorded = await workflow.execute_activity_method(
            RecordsActivities.record_ingest_failure,
            RecordFailureInput(
                creative_id=params.creative_id,
                fields=params.fields,
                reason=reason,
                source_url=params.source.url,
                original_filename=params.source.original_filename,
            ),
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
        )
        doomed = [staging_key]
        if published_key is not None and not recorded.kept_existing:
            doomed.append(published_key)
        await workflow.execute_activity_method(
            StorageActivities.delete_objects,
            DeleteObjectsInput(keys=doomed),
            task_queue=TASK_QUEUE_TRANSFER,
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
        )
        raise ApplicationError(reason, type=error_type, non_retryable=True) from err
