"""Direct uploads: large videos go from the client straight to the bucket through presigned part URLs."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import TypeAdapter

from api.deps import CurrentUser, S3Dep, SessionDep, SettingsDep, TemporalDep
from api.services import direct_uploads
from api.uploads import read_json
from models.schemas.uploads import CompleteUpload, StartUpload, UploadCompleted, UploadStarted

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])

START_BODY_BYTES = 64 * 1024
COMPLETE_BODY_BYTES = 1024 * 1024  # up to 10,000 parts with their ETags


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with its local `$defs` references written out (OpenAPI resolves refs from the document root)."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        if "mapping" in node.get("discriminator", {}):  # its targets are refs too: `propertyName` is enough
            node = {**node, "discriminator": {"propertyName": node["discriminator"]["propertyName"]}}
        return {key: _inlined(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inlined(value, defs) for value in node]
    return node


def _json_doc(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a JSON body the route reads itself (after its auth dependencies ran)."""
    body = _inlined(schema, schema.get("$defs", {}))
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": body}}}}


@router.post(
    "",
    status_code=201,
    response_model=UploadStarted,
    summary="Start a direct upload: presigned part URLs to PUT the video to storage, then complete it",
    description="Give the file's `size_bytes` and `filename`, `purpose` (`creative` or `video_asset`) and that "
    "object's fields. PUT each `part_size` slice of the file (the last may be shorter) to its part URL, with "
    "no Authorization header, and keep each answer's ETag; then POST /api/v1/uploads/{upload_id}/complete.",
    openapi_extra=_json_doc(TypeAdapter(StartUpload).json_schema()),
    responses={413: {"description": "over MAX_VIDEO_BYTES"}, 429: {"description": "daily upload cap reached"}},
)
async def start_upload(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, s3: S3Dep
) -> UploadStarted:
    body = await read_json(request, StartUpload, max_bytes=START_BODY_BYTES)
    return await direct_uploads.start(session, s3, settings, user, body)


@router.post(
    "/{upload_id}/complete",
    status_code=201,
    response_model=UploadCompleted,
    summary="Complete a direct upload: the creative or video asset is made and its workflow started",
    description="Every part must be uploaded with the agreed sizes; `parts` (the ETags the PUTs answered) is "
    "optional and checked when given. Not a video (judged by its bytes) → 415 and the object is deleted. "
    "Completing again answers the same.",
    openapi_extra=_json_doc(CompleteUpload.model_json_schema(), required=False),
    responses={404: {"description": "no such upload (or another user's)"}, 415: {"description": "not a video"}},
)
async def complete_upload(
    upload_id: uuid.UUID,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    s3: S3Dep,
) -> UploadCompleted:
    body = await read_json(request, CompleteUpload, max_bytes=COMPLETE_BODY_BYTES, empty=CompleteUpload())
    return await direct_uploads.complete(session, temporal, s3, settings, user, upload_id, body.parts)


@router.delete(
    "/{upload_id}",
    status_code=204,
    summary="Abort a direct upload: the parts sent so far are dropped",
    responses={404: {"description": "no such upload (or another user's)"}, 409: {"description": "already complete"}},
)
async def abort_upload(upload_id: uuid.UUID, user: CurrentUser, session: SessionDep, s3: S3Dep) -> Response:
    await direct_uploads.abort(session, s3, user, upload_id)
    return Response(status_code=204)
