"""Direct-to-storage uploads: the API opens a presigned multipart upload, the client PUTs the parts to the
bucket, and completing it checks what arrived (sizes, then the format by its first bytes) before the
creative or video asset is made exactly as an upload through the API makes it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from botocore.exceptions import ClientError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import User
from api.errors import AppError, Conflict, InvalidInput, NotFound
from api.services.caps import charge_upload
from api.services.uploads import create_client_creative, create_video_asset
from api.uploads import SNIFF_BYTES, StoredUpload, too_large
from api.video_urls import sniff_video_extension
from models.schemas.uploads import (
    CompletedPart,
    CreativeUploadFields,
    StartCreativeUpload,
    StartVideoAssetUpload,
    UploadCompleted,
    UploadPartUrl,
    UploadStarted,
    VideoAssetUploadFields,
)
from models.tables import UploadSession
from settings import Settings
from storage import direct_upload, keys
from storage.objects import ObjectRef
from workflows.analyze_creative import analysis_workflow_id
from workflows.prepare_clips import prepare_clips_workflow_id

_FIELDS: dict[str, type[CreativeUploadFields] | type[VideoAssetUploadFields]] = {
    "creative": CreativeUploadFields,
    "video_asset": VideoAssetUploadFields,
}


def _video_ref(settings: Settings, purpose: str, owner_id: str, target_id: uuid.UUID, extension: str) -> ObjectRef:
    key_for = keys.client_video if purpose == "creative" else keys.asset_video
    return key_for(settings.r2_client_assets_bucket, owner_id, target_id, extension)


def _guessed_extension(filename: str) -> str:
    """The container the name suggests, checked against the bytes at completion (the key is fixed first)."""
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower().lstrip(".")
    return extension if extension in keys.CONTENT_TYPES else "mp4"


async def start(
    session: AsyncSession, s3: Any, settings: Settings, user: User, body: StartCreativeUpload | StartVideoAssetUpload
) -> UploadStarted:
    """Open the multipart upload under a server-made key; presigned part URLs for the client."""
    if body.size_bytes > settings.max_video_bytes:
        raise too_large(settings)
    await charge_upload(session, settings, user, body.size_bytes)
    fields = _FIELDS[body.purpose].model_validate(body.model_dump()).model_dump(mode="json")
    plan = direct_upload.plan_parts(body.size_bytes, settings.multipart_chunk_bytes)
    upload_id, target_id = uuid.uuid4(), uuid.uuid4()
    extension = _guessed_extension(body.filename)
    ref = _video_ref(settings, body.purpose, user.id, target_id, extension)
    storage_id = await direct_upload.start_upload(s3, ref, keys.content_type(extension))
    lifetime = settings.direct_upload_expiration_seconds
    try:
        urls = await direct_upload.part_urls(s3, ref, storage_id, plan.part_count, lifetime)
        row = UploadSession(
            id=upload_id,
            owner_id=user.id,
            purpose=body.purpose,
            target_id=target_id,
            video_key=str(ref),
            storage_upload_id=storage_id,
            original_filename=body.filename[:500],
            size_bytes=body.size_bytes,
            part_size=plan.part_size,
            part_count=plan.part_count,
            fields=fields,
            status="open",
            expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
        )
        session.add(row)
        await session.commit()
    except BaseException:
        await direct_upload.abort_upload(s3, ref, storage_id)
        raise
    return UploadStarted(
        upload_id=upload_id,
        purpose=body.purpose,
        size_bytes=body.size_bytes,
        part_size=plan.part_size,
        expires_at=row.expires_at,
        parts=[UploadPartUrl(part_number=number, url=url) for number, url in enumerate(urls, start=1)],
    )


async def owned_session(session: AsyncSession, upload_id: uuid.UUID, user: User) -> UploadSession:
    """The caller's own upload, locked; anyone else's answers like a missing one."""
    row = await session.get(UploadSession, upload_id, with_for_update=True)
    if row is None or row.owner_id != user.id:
        raise NotFound("no such upload")
    return row


def _answer(row: UploadSession) -> UploadCompleted:
    if row.purpose == "creative":
        workflow_id = analysis_workflow_id(row.target_id)
        return UploadCompleted(upload_id=row.id, purpose="creative", creative_id=row.target_id, workflow_id=workflow_id)
    workflow_id = prepare_clips_workflow_id(row.target_id)
    return UploadCompleted(
        upload_id=row.id, purpose="video_asset", video_asset_id=row.target_id, workflow_id=workflow_id
    )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _check_parts(
    row: UploadSession, held: list[direct_upload.UploadedPart], claimed: list[CompletedPart] | None
) -> None:
    """What the store holds must be the declared file: every part, the agreed sizes, the client's ETags."""
    numbers = [part.part_number for part in held]
    if numbers != list(range(1, row.part_count + 1)):
        missing = sorted(set(range(1, row.part_count + 1)) - set(numbers))
        raise InvalidInput([{"field": "parts", "message": f"parts not uploaded yet: {missing[:20]}"}])
    total = sum(part.size for part in held)
    if total != row.size_bytes:
        raise InvalidInput([{"field": "parts", "message": f"{total} bytes uploaded, {row.size_bytes} declared"}])
    if claimed is not None:
        etags = {part.part_number: part.etag.strip('"') for part in held}
        for part in claimed:
            if etags.get(part.part_number) != part.etag.strip('"'):
                raise InvalidInput([{"field": "parts", "message": f"part {part.part_number}: the ETag differs"}])


async def _assemble(s3: Any, row: UploadSession, ref: ObjectRef, claimed: list[CompletedPart] | None) -> None:
    """Complete the multipart upload after checking its parts; an upload completed before (a retry after a
    crash) is recognised by its object."""
    try:
        held = await direct_upload.uploaded_parts(s3, ref, row.storage_upload_id)
    except ClientError as exc:
        if _error_code(exc) not in {"NoSuchUpload", "404"}:
            raise
        if await _object_size(s3, ref) == row.size_bytes:
            return
        raise NotFound("no such upload (it expired or was aborted)") from None
    _check_parts(row, held, claimed)
    await direct_upload.complete_upload(s3, ref, row.storage_upload_id, held)


async def _object_size(s3: Any, ref: ObjectRef) -> int | None:
    try:
        head = await s3.head_object(Bucket=ref.bucket, Key=ref.key)
    except ClientError:
        return None
    return int(head["ContentLength"])


async def _judged(s3: Any, settings: Settings, row: UploadSession, ref: ObjectRef) -> ObjectRef:
    """The stored object if its bytes are a video (else it is deleted: 415), under the key of its real format."""
    try:
        extension = sniff_video_extension(await direct_upload.read_head(s3, ref, SNIFF_BYTES))
    except AppError:
        await s3.delete_object(Bucket=ref.bucket, Key=ref.key)
        raise
    right = _video_ref(settings, row.purpose, row.owner_id, row.target_id, extension)
    if right != ref:  # the name promised another container: the key says what the bytes are
        await s3.copy_object(
            Bucket=right.bucket,
            Key=right.key,
            CopySource={"Bucket": ref.bucket, "Key": ref.key},
            ContentType=keys.content_type(extension),
            MetadataDirective="REPLACE",
        )
        await s3.delete_object(Bucket=ref.bucket, Key=ref.key)
    return right


async def complete(
    session: AsyncSession,
    temporal: Client,
    s3: Any,
    settings: Settings,
    user: User,
    upload_id: uuid.UUID,
    claimed: list[CompletedPart] | None,
) -> UploadCompleted:
    """Assemble and judge the upload, then make its creative or asset and start its workflow (once)."""
    row = await owned_session(session, upload_id, user)
    if row.status == "completed":  # a retried complete: the same answer
        return _answer(row)
    if row.status != "open":
        raise Conflict("the upload was aborted")
    ref = ObjectRef.parse(row.video_key)
    await _assemble(s3, row, ref, claimed)
    try:
        ref = await _judged(s3, settings, row, ref)
    except AppError:
        row.status = "aborted"
        await session.commit()
        raise
    stored = StoredUpload(ref, None, row.size_bytes, row.original_filename)
    row.status, row.video_key = "completed", str(ref)  # committed with the new row, so a retry answers the same
    try:
        if row.purpose == "creative":
            fields = CreativeUploadFields.model_validate(row.fields)
            await create_client_creative(session, temporal, s3, settings, row.owner_id, row.target_id, fields, stored)
        else:
            asset = VideoAssetUploadFields.model_validate(row.fields)
            await create_video_asset(session, temporal, s3, settings, row.owner_id, row.target_id, asset, stored)
    except Exception:
        # the creative or asset and the object were undone: nothing of the upload stays
        await session.rollback()
        await session.execute(update(UploadSession).where(UploadSession.id == upload_id).values(status="aborted"))
        await session.commit()
        raise
    return _answer(row)


async def abort(session: AsyncSession, s3: Any, user: User, upload_id: uuid.UUID) -> None:
    """Drop an open upload and the parts sent so far."""
    row = await owned_session(session, upload_id, user)
    if row.status == "completed":
        raise Conflict("the upload is complete: its video belongs to the creative or asset now")
    if row.status == "open":
        await direct_upload.abort_upload(s3, ObjectRef.parse(row.video_key), row.storage_upload_id)
        row.status = "aborted"
