"""Client creatives: upload (private bucket), read with analyses, and JWT-checked video access."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import select
from temporalio.common import WorkflowIDConflictPolicy

from api.analysis import analysis_input
from api.creatives_access import visible_creative
from api.deps import CurrentUser, S3Dep, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from api.uploads import refuse_declared_oversize, start_or_undo, store_private_video
from api.video_urls import generate_client_video_access_url
from models.schemas.analysis import AnalysisOut
from models.schemas.common import WorkflowStarted
from models.schemas.creatives import CreativeOut, VideoAccess
from models.tables import Creative, CreativeAnalysis
from storage import keys
from storage.objects import ObjectRef
from workflows.analyze_creative import AnalyzeCreativeWorkflow, analysis_workflow_id
from workflows.queues import TASK_QUEUE_MAIN

router = APIRouter(prefix="/api/v1/creatives", tags=["creatives"])


@router.post(
    "",
    status_code=201,
    response_model=WorkflowStarted,
    summary="Upload a client video; it is analyzed after its 5th conversion (or when forced)",
    responses={413: {"description": "over the size limit"}, 415: {"description": "not a video"}},
)
async def upload_creative(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    s3: S3Dep,
    file: Annotated[UploadFile, File(description="the video (MP4, MOV or WebM)")],
    creative_name: Annotated[str, Form(min_length=1, max_length=200)],
    product_category: Annotated[str, Form(min_length=1, max_length=100)],
    tags: Annotated[str | None, Form(max_length=1000, description="comma-separated")] = None,
) -> WorkflowStarted:
    refuse_declared_oversize(request, settings)
    creative_id = uuid.uuid4()
    stored = await store_private_video(
        s3, settings, file, lambda bucket, extension: keys.client_video(bucket, user.id, creative_id, extension)
    )
    ref = stored.ref
    creative = Creative(
        id=creative_id,
        name=creative_name.strip(),
        owner_id=user.id,
        is_benchmark=False,
        is_public=False,
        product_category=product_category.strip(),
        video_key=str(ref),
        original_filename=stored.original_filename,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        tags=sorted({tag.strip().lower() for tag in (tags or "").split(",") if tag.strip()}),
        status="pending",
        analysis_status="waiting",
    )
    session.add(creative)
    await session.commit()  # the workflow reads this row
    workflow_id = analysis_workflow_id(creative_id)
    start = temporal.start_workflow(
        AnalyzeCreativeWorkflow.run,
        analysis_input(settings, creative_id, is_benchmark=False, video_key=str(ref), probed=False, conversions=0),
        id=workflow_id,
        task_queue=TASK_QUEUE_MAIN,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        memo={"owner_id": user.id, "creative_id": str(creative_id)},
    )
    await start_or_undo(session, s3, stored, Creative, creative_id, start)
    return WorkflowStarted(creative_id=creative_id, workflow_id=workflow_id)


@router.get(
    "/video-access/{creative_id}",
    response_model=VideoAccess,
    summary="A URL to watch the video: public for a benchmark, presigned for the owner's private video",
)
async def video_access(
    creative_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep, s3: S3Dep
) -> VideoAccess:
    creative = await session.get(Creative, creative_id)
    if creative is None or creative.video_key is None or creative.status == "failed":
        raise NotFound("no such creative")
    if creative.is_public and creative.is_benchmark:
        public = settings.public_video_url(ObjectRef.parse(creative.video_key).key)
        return VideoAccess(
            creative_id=creative.id,
            creative_name=creative.name,
            video_url=public,
            is_public=True,
            expires_in=None,
        )
    if creative.owner_id != user.id:
        raise NotFound("no such creative")  # the same answer as a missing one: nothing leaks
    expires = settings.presign_expiration_seconds
    url = await generate_client_video_access_url(s3, creative.video_key, expires)
    return VideoAccess(
        creative_id=creative.id,
        creative_name=creative.name,
        video_url=url,
        is_public=False,
        expires_in=expires,
    )


@router.get("/{creative_id}", response_model=CreativeOut, summary="A creative with its status, tags and analyses")
async def get_creative(creative_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> CreativeOut:
    creative = await visible_creative(session, creative_id, user)
    analyses = await session.scalars(
        select(CreativeAnalysis)
        .where(CreativeAnalysis.creative_id == creative_id)
        .order_by(CreativeAnalysis.created_at, CreativeAnalysis.id)
    )
    return CreativeOut(
        **{name: getattr(creative, name) for name in CreativeOut.model_fields if hasattr(Creative, name)},
        workflow_id=analysis_workflow_id(creative.id),
        analyses=[AnalysisOut.model_validate(row, from_attributes=True) for row in analyses],
    )
