"""Client creatives: upload (private bucket), read with analyses, and JWT-checked video access."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from sqlalchemy import select

from api.creatives_access import visible_creative, watchable_video
from api.deps import CurrentUser, ReadPool, S3Dep, SessionDep, SettingsDep, TemporalDep
from api.services.uploads import FORM_UPLOAD_RESPONSES, create_client_creative, receive_form_upload
from api.uploads import multipart_doc
from api.video_urls import generate_client_video_access_url
from models.schemas.analysis import AnalysisOut
from models.schemas.common import WorkflowStarted
from models.schemas.creatives import CreativeOut, VideoAccess
from models.schemas.uploads import MAX_TAGS_TEXT, CreativeUploadFields
from models.tables import Creative, CreativeAnalysis
from storage import keys
from storage.objects import ObjectRef
from workflows.analyze_creative import analysis_workflow_id

router = APIRouter(prefix="/api/v1/creatives", tags=["creatives"])

TAGS_FORM_FIELD = {"type": "string", "maxLength": MAX_TAGS_TEXT, "description": "comma-separated"}


@router.post(
    "",
    status_code=201,
    response_model=WorkflowStarted,
    summary="Upload a client video; it is analyzed after its 5th conversion (or when forced)",
    description="Multipart form: the text fields, then `file` (last). Authentication, a declared size over "
    "MAX_VIDEO_BYTES and the daily caps are answered before the body is read; the file streams to storage. "
    "Large files should take the direct path instead: POST /api/v1/uploads.",
    openapi_extra=multipart_doc(CreativeUploadFields, overrides={"tags": TAGS_FORM_FIELD}),
    responses=FORM_UPLOAD_RESPONSES,
)
async def upload_creative(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, temporal: TemporalDep, s3: S3Dep
) -> WorkflowStarted:
    creative_id = uuid.uuid4()
    fields, stored = await receive_form_upload(
        request, session, settings, s3, user, CreativeUploadFields,
        lambda bucket, extension: keys.client_video(bucket, user.id, creative_id, extension),
    )  # fmt: skip
    workflow_id = await create_client_creative(session, temporal, s3, settings, user.id, creative_id, fields, stored)
    return WorkflowStarted(creative_id=creative_id, workflow_id=workflow_id)


@router.get(
    "/video-access/{creative_id}",
    response_model=VideoAccess,
    summary="A URL to watch the video: public for a benchmark, presigned for the owner's private video",
)
async def video_access(
    creative_id: uuid.UUID, user: CurrentUser, db: ReadPool, settings: SettingsDep, s3: S3Dep
) -> VideoAccess:
    video = await watchable_video(db, creative_id, user)  # another user's answers like a missing one
    if video.public_benchmark:
        public = settings.public_video_url(ObjectRef.parse(video.video_key).key)
        return VideoAccess(
            creative_id=video.id,
            creative_name=video.name,
            video_url=public,
            is_public=True,
            expires_in=None,
        )
    expires = settings.presign_expiration_seconds
    url = await generate_client_video_access_url(s3, video.video_key, expires)
    return VideoAccess(
        creative_id=video.id,
        creative_name=video.name,
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
