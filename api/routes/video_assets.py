"""Video assets: a client video cut into candidate clips for the ad platforms (or clips cut elsewhere)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import select
from temporalio.common import WorkflowIDConflictPolicy

from api.deps import CurrentUser, S3Dep, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from api.uploads import refuse_declared_oversize, start_or_undo, store_private_video
from models.schemas.clips import ClipOut, ClipRegistration, PrepareClipsInput, VideoAssetCreated
from models.tables import Clip, VideoAsset
from storage import keys
from workflows.prepare_clips import PrepareClipsWorkflow, prepare_clips_workflow_id
from workflows.queues import TASK_QUEUE_MAIN

router = APIRouter(prefix="/api/v1/video-assets", tags=["video assets"])


async def owned_asset(session: SessionDep, video_asset_id: uuid.UUID, user: CurrentUser) -> VideoAsset:
    """The asset if the caller owns it (or is an admin); anyone else gets the answer for a missing one."""
    asset = await session.get(VideoAsset, video_asset_id)
    if asset is None or not (asset.owner_id == user.id or user.is_admin):
        raise NotFound("no such video asset")
    return asset


@router.post("", status_code=201, response_model=VideoAssetCreated, summary="Upload a video to cut into clips")
async def upload_video_asset(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    s3: S3Dep,
    file: Annotated[UploadFile, File(description="the video (MP4, MOV or WebM)")],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    product_category: Annotated[str | None, Form(max_length=100)] = None,
) -> VideoAssetCreated:
    refuse_declared_oversize(request, settings)
    asset_id = uuid.uuid4()
    stored = await store_private_video(
        s3, settings, file, lambda bucket, extension: keys.asset_video(bucket, user.id, asset_id, extension)
    )
    session.add(
        VideoAsset(
            id=asset_id,
            owner_id=user.id,
            name=name.strip(),
            product_category=(product_category or "").strip() or None,
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
            video_asset_id=asset_id, video_key=str(stored.ref), clips_bucket=settings.r2_client_assets_bucket
        ),
        id=workflow_id,
        task_queue=TASK_QUEUE_MAIN,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        memo={"owner_id": user.id, "video_asset_id": str(asset_id)},
    )
    await start_or_undo(session, s3, stored, VideoAsset, asset_id, start)
    return VideoAssetCreated(video_asset_id=asset_id, workflow_id=workflow_id)


@router.get("/{video_asset_id}/clips", response_model=list[ClipOut], summary="The asset's clips and their features")
async def list_clips(video_asset_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[ClipOut]:
    await owned_asset(session, video_asset_id, user)
    clips = await session.scalars(
        select(Clip).where(Clip.video_asset_id == video_asset_id).order_by(Clip.start_s, Clip.variant, Clip.id)
    )
    return [ClipOut.model_validate(clip, from_attributes=True) for clip in clips]


@router.post(
    "/{video_asset_id}/clips",
    status_code=201,
    response_model=list[ClipOut],
    summary="Register clips cut elsewhere, with their features (they are READY at once)",
)
async def register_clips(
    video_asset_id: uuid.UUID, clips: list[ClipRegistration], user: CurrentUser, session: SessionDep
) -> list[ClipOut]:
    await owned_asset(session, video_asset_id, user)
    rows = [
        Clip(
            id=clip.clip_id or uuid.uuid4(),
            video_asset_id=video_asset_id,
            status="READY",
            start_s=clip.start_s,
            end_s=clip.end_s,
            variant="registered",
            clip_key=None,
            features=clip.features.model_dump(mode="json"),
        )
        for clip in clips
    ]
    for row in rows:
        await session.merge(row)
    await session.flush()
    return [ClipOut.model_validate(row, from_attributes=True) for row in rows]
