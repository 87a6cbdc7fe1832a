"""A stored client video becomes a creative or a video asset with its workflow started: the one path for
uploads through the API and direct-to-storage uploads alike."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from api.analysis import analysis_input
from api.auth import User
from api.services.caps import charge_upload, correct_upload_bytes
from api.uploads import StoredUpload, read_form, refuse_declared_oversize, store_private_video
from models.schemas.clips import PrepareClipsInput
from models.schemas.uploads import CreativeUploadFields, VideoAssetUploadFields
from models.tables import Creative, VideoAsset
from settings import Settings
from storage.objects import ObjectRef
from workflows.analyze_creative import AnalyzeCreativeWorkflow, analysis_workflow_id
from workflows.prepare_clips import PrepareClipsWorkflow, prepare_clips_workflow_id
from workflows.queues import TASK_QUEUE_MAIN
from workflows.search_attributes import CREATIVE_ID, OWNER, PRODUCT_CATEGORY, VIDEO_ASSET_ID, search_attributes

Fields = TypeVar("Fields", CreativeUploadFields, VideoAssetUploadFields)
# what the two form-upload routes may answer besides 201
FORM_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "over the size limit"},
    415: {"description": "not a video"},
    429: {"description": "daily upload cap reached"},
}


async def receive_form_upload(
    request: Request, session: AsyncSession, settings: Settings, s3: Any, user: User,
    fields_model: type[Fields], key_for: Callable[[str, str], ObjectRef],
) -> tuple[Fields, StoredUpload]:  # fmt: skip
    """A form upload: size and caps answered before the body is read, fields checked, the file streamed."""
    declared = refuse_declared_oversize(request, settings) or 0
    await charge_upload(session, settings, user, declared)
    fields, file = await read_form(request, settings, fields_model)
    stored = await store_private_video(s3, settings, file, key_for)
    await correct_upload_bytes(session, user, declared, stored.size_bytes)
    return fields, stored


async def start_or_undo(
    session: AsyncSession, s3: Any, stored: StoredUpload, table: Any, row_id: uuid.UUID, start: Awaitable[Any]
) -> None:
    """Start the row's workflow; if that fails, nothing half-made stays: the row and the object go."""
    try:
        await start
    except BaseException:
        await session.execute(delete(table).where(table.id == row_id))
        await session.commit()
        await s3.delete_object(Bucket=stored.ref.bucket, Key=stored.ref.key)
        raise


async def create_client_creative(
    session: AsyncSession,
    temporal: Client,
    s3: Any,
    settings: Settings,
    owner_id: str,
    creative_id: uuid.UUID,
    fields: CreativeUploadFields,
    stored: StoredUpload,
) -> str:
    """The private creative row, then its AnalyzeCreativeWorkflow (which probes the video first); its id."""
    session.add(
        Creative(
            id=creative_id,
            name=fields.creative_name,
            owner_id=owner_id,
            is_benchmark=False,
            is_public=False,
            product_category=fields.product_category,
            video_key=str(stored.ref),
            original_filename=stored.original_filename,
            sha256=stored.sha256,
            size_bytes=stored.size_bytes,
            tags=fields.tags,
            status="pending",
            analysis_status="waiting",
        )
    )
    await session.commit()  # the workflow reads this row
    workflow_id = analysis_workflow_id(creative_id)
    start = temporal.start_workflow(
        AnalyzeCreativeWorkflow.run,
        analysis_input(
            settings, creative_id, is_benchmark=False, video_key=str(stored.ref), probed=False, conversions=0
        ),
        id=workflow_id,
        task_queue=TASK_QUEUE_MAIN,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        memo={"owner_id": owner_id, "creative_id": str(creative_id)},
        search_attributes=search_attributes(
            {OWNER: owner_id, CREATIVE_ID: creative_id, PRODUCT_CATEGORY: fields.product_category}
        ),
    )
    await start_or_undo(session, s3, stored, Creative, creative_id, start)
    return workflow_id


async def create_video_asset(
    session: AsyncSession,
    temporal: Client,
    s3: Any,
    settings: Settings,
    owner_id: str,
    asset_id: uuid.UUID,
    fields: VideoAssetUploadFields,
    stored: StoredUpload,
) -> str:
    """The video asset row, then its PrepareClipsWorkflow; the workflow's id."""
    session.add(
        VideoAsset(
            id=asset_id,
            owner_id=owner_id,
            name=fields.name,
            product_category=fields.product_category,
            original_filename=stored.original_filename,
            video_key=str(stored.ref),
            sha256=stored.sha256,
            size_bytes=stored.size_bytes,
            status="pending",
        )
    )
    await session.commit()
    workflow_id = prepare_clips_workflow_id(asset_id)
    start = temporal.start_workflow(
        PrepareClipsWorkflow.run,
        PrepareClipsInput(
            video_asset_id=asset_id,
            video_key=str(stored.ref),
            clips_bucket=settings.r2_client_assets_bucket,
            max_candidates=settings.clip_max_candidates,
        ),
        id=workflow_id,
        task_queue=TASK_QUEUE_MAIN,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        memo={"owner_id": owner_id, "video_asset_id": str(asset_id)},
        search_attributes=search_attributes(
            {OWNER: owner_id, VIDEO_ASSET_ID: asset_id, PRODUCT_CATEGORY: fields.product_category}
        ),
    )
    await start_or_undo(session, s3, stored, VideoAsset, asset_id, start)
    return workflow_id
