"""Benchmarks: an admin ingests a market-winning ad (URL or upload); anyone browses the library."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import and_, func, select
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from api.analysis import analysis_options
from api.deps import AdminUser, S3Dep, SessionDep, SettingsDep, TemporalDep
from api.errors import Conflict, InvalidInput, UnsupportedMediaType
from api.form_stream import StreamedForm
from api.uploads import FORM_OVERHEAD_BYTES, refuse_declared_oversize, store_file, too_large
from models.schemas.benchmarks import (
    BenchmarkFields,
    BenchmarkFromUrl,
    BenchmarkOut,
    BenchmarkPage,
    IngestBenchmarkInput,
    VideoSource,
)
from models.schemas.common import WorkflowStarted
from models.tables import Creative, PatternPerformance
from settings import Settings
from storage import keys
from storage.objects import ObjectRef
from workflows.ingest_benchmark import IngestBenchmarkWorkflow, ingest_workflow_id
from workflows.queues import TASK_QUEUE_MAIN
from workflows.search_attributes import CREATIVE_ID, OWNER, PLATFORM, PRODUCT_CATEGORY, search_attributes

router = APIRouter(prefix="/api/v1", tags=["benchmarks"])

_REQUEST_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": BenchmarkFromUrl.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [
                        "file",
                        "creative_name",
                        "product_category",
                        "market_cvr",
                        "market_longevity_days",
                        "avg_daily_clicks",
                    ],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **BenchmarkFields.model_json_schema()["properties"],
                    },
                }
            },
        },
    }
}


def _validated(model: type[BenchmarkFields], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


@router.post(
    "/benchmarks",
    status_code=202,
    response_model=WorkflowStarted,
    summary="Ingest a market benchmark from a video URL (JSON) or an uploaded file (multipart)",
    openapi_extra=_REQUEST_BODY_DOC,
    responses={
        413: {"description": "upload over the size limit"},
        415: {"description": "neither JSON nor multipart"},
    },
)
async def create_benchmark(
    request: Request, admin: AdminUser, session: SessionDep, settings: SettingsDep, temporal: TemporalDep, s3: S3Dep
) -> WorkflowStarted:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            payload = await request.json()
        except ValueError:
            raise InvalidInput([{"field": "body", "message": "malformed JSON"}]) from None
        body: BenchmarkFromUrl = _validated(BenchmarkFromUrl, payload)
        creative_id = body.creative_id or uuid.uuid4()
        existing = await session.get(Creative, creative_id)
        if existing is not None and not existing.is_benchmark:
            # a caller-made id may repeat its own ingest, never turn a client's creative into a public one
            raise Conflict("that creative_id belongs to a client creative: leave creative_id out for a new one")
        await session.commit()  # release the connection before the workflow call
        fields = BenchmarkFields.model_validate(body.model_dump(exclude={"video_url", "creative_id"}))
        source = VideoSource(url=body.video_url)
    elif content_type == "multipart/form-data":
        creative_id, fields, source = await _staged_upload(request, settings, s3)
    else:
        raise UnsupportedMediaType("send application/json with video_url, or multipart/form-data with file")

    workflow_id = ingest_workflow_id(creative_id)
    await temporal.start_workflow(
        IngestBenchmarkWorkflow.run,
        IngestBenchmarkInput(
            creative_id=creative_id,
            fields=fields,
            source=source,
            public_bucket=settings.r2_market_benchmarks_bucket,
            staging_bucket=settings.r2_client_assets_bucket,
            max_bytes=settings.max_video_bytes,
            prior_max_clicks=settings.benchmark_prior_max_clicks,
            vision_backend=settings.resolved_vision_backend,
            analysis_options=analysis_options(settings),
        ),
        id=workflow_id,
        task_queue=TASK_QUEUE_MAIN,
        # the same creative while its ingest runs: answer with the running workflow
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        memo={"owner_id": admin.id, "creative_id": str(creative_id)},
        search_attributes=search_attributes(
            {
                OWNER: admin.id,
                CREATIVE_ID: creative_id,
                PRODUCT_CATEGORY: fields.product_category,
                PLATFORM: [fields.source_platform],
            }
        ),
    )
    return WorkflowStarted(creative_id=creative_id, workflow_id=workflow_id)


async def _staged_upload(
    request: Request, settings: Settings, s3: Any
) -> tuple[uuid.UUID, BenchmarkFields, VideoSource]:
    """Validate the form's fields, then stream its file to a private staging key (the workflow probes it)."""
    refuse_declared_oversize(request, settings)
    form = StreamedForm(
        request, max_body_bytes=settings.max_video_bytes + FORM_OVERHEAD_BYTES, too_large=lambda: too_large(settings)
    )
    values, upload = await form.fields_then_file()
    raw_id = values.pop("creative_id", None)
    fields: BenchmarkFields = _validated(BenchmarkFields, values)
    try:
        creative_id = uuid.UUID(raw_id) if raw_id else uuid.uuid4()
    except ValueError:
        raise InvalidInput([{"field": "creative_id", "message": "must be a UUID"}]) from None
    if upload is None:
        raise InvalidInput([{"field": "file", "message": "a video file is required"}])
    staging = keys.benchmark_staging(settings.r2_client_assets_bucket, creative_id)
    stored = await store_file(s3, settings, upload, staging)
    source = VideoSource(
        staged_key=str(staging),
        staged_sha256=stored.sha256,
        staged_size=stored.size_bytes,
        original_filename=stored.original_filename,
    )
    return creative_id, fields, source


@router.get("/creatives/benchmarks", response_model=BenchmarkPage, summary="The public benchmark library")
async def list_benchmarks(
    session: SessionDep,
    settings: SettingsDep,
    product_category: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> BenchmarkPage:
    conditions = [Creative.is_benchmark.is_(True), Creative.is_public.is_(True), Creative.status == "ready"]
    if product_category:
        conditions.append(Creative.product_category == product_category)
    total = await session.scalar(select(func.count()).select_from(Creative).where(*conditions))
    rows = await session.execute(
        select(Creative, PatternPerformance)
        .outerjoin(
            PatternPerformance,
            and_(PatternPerformance.creative_id == Creative.id, PatternPerformance.source == "benchmark"),
        )
        .where(*conditions)
        .order_by(Creative.created_at.desc(), Creative.id)
        .limit(limit)
        .offset(offset)
    )
    items = [_benchmark_out(creative, pattern, settings) for creative, pattern in rows.all()]
    return BenchmarkPage(items=items, total=total or 0, limit=limit, offset=offset)


def _benchmark_out(creative: Creative, pattern: PatternPerformance | None, settings: Settings) -> BenchmarkOut:
    alpha = pattern.bayesian_alpha if pattern else None
    beta = pattern.bayesian_beta if pattern else None
    return BenchmarkOut(
        creative_id=creative.id,
        creative_name=creative.name,
        product_category=creative.product_category,
        source_platform=creative.source_platform,
        market_cvr=creative.market_cvr,
        market_longevity_days=creative.market_longevity_days,
        avg_daily_clicks=creative.avg_daily_clicks,
        hook_type=creative.hook_type,
        emotion=creative.emotion,
        pacing=creative.pacing,
        target_audience_pain=creative.target_audience_pain,
        bayesian_alpha=alpha,
        bayesian_beta=beta,
        prior_mean=alpha / (alpha + beta) if alpha and beta else None,
        video_url=settings.public_video_url(ObjectRef.parse(creative.video_key).key) if creative.video_key else None,
        duration_s=creative.duration_s,
        width=creative.width,
        height=creative.height,
        analysis_status=creative.analysis_status,
    )
