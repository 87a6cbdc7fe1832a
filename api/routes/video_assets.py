"""Video assets: a client video cut into candidate clips for the ad platforms (or clips cut elsewhere)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from api.deps import CurrentUser, S3Dep, SessionDep, SettingsDep, TemporalDep
from api.errors import Conflict, InvalidInput, NotFound
from api.services.campaign_reads import asset_detail
from api.services.uploads import FORM_UPLOAD_RESPONSES, create_video_asset, receive_form_upload
from api.uploads import multipart_doc
from models.schemas.campaign_reads import VideoAssetOut
from models.schemas.clips import ClipOut, ClipRegistration, VideoAssetCreated
from models.schemas.uploads import VideoAssetUploadFields
from models.tables import Clip, VideoAsset
from storage import keys

router = APIRouter(prefix="/api/v1/video-assets", tags=["video assets"])


async def owned_asset(session: SessionDep, video_asset_id: uuid.UUID, user: CurrentUser) -> VideoAsset:
    """The asset if the caller owns it (or is an admin); anyone else gets the answer for a missing one."""
    asset = await session.get(VideoAsset, video_asset_id)
    if asset is None or not (asset.owner_id == user.id or user.is_admin):
        raise NotFound("no such video asset")
    return asset


@router.post(
    "",
    status_code=201,
    response_model=VideoAssetCreated,
    summary="Upload a video to cut into clips",
    description="Multipart form: the text fields, then `file` (last); checked before the body is read and "
    "streamed to storage, as POST /api/v1/creatives. Large files: POST /api/v1/uploads.",
    openapi_extra=multipart_doc(VideoAssetUploadFields),
    responses=FORM_UPLOAD_RESPONSES,
)
async def upload_video_asset(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, temporal: TemporalDep, s3: S3Dep
) -> VideoAssetCreated:
    asset_id = uuid.uuid4()
    fields, stored = await receive_form_upload(
        request, session, settings, s3, user, VideoAssetUploadFields,
        lambda bucket, extension: keys.asset_video(bucket, user.id, asset_id, extension),
    )  # fmt: skip
    workflow_id = await create_video_asset(session, temporal, s3, settings, user.id, asset_id, fields, stored)
    return VideoAssetCreated(video_asset_id=asset_id, workflow_id=workflow_id)


@router.get("/{video_asset_id}", response_model=VideoAssetOut, summary="An asset's status, clip counts and decisions")
async def video_asset(video_asset_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> VideoAssetOut:
    return await asset_detail(session, await owned_asset(session, video_asset_id, user))


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
    video_asset_id: uuid.UUID,
    clips: Annotated[list[ClipRegistration], Body(min_length=1, max_length=100)],
    user: CurrentUser,
    session: SessionDep,
) -> list[ClipOut]:
    await owned_asset(session, video_asset_id, user)
    ids = [clip.clip_id or uuid.uuid4() for clip in clips]
    if len(set(ids)) < len(ids):
        raise InvalidInput([{"field": "clip_id", "message": "the same clip_id is given twice"}])
    rows = []
    for clip_id, clip in zip(ids, clips, strict=True):
        # a plain insert: an id that exists (anyone's clip) is refused, never moved or rewritten
        inserted = await session.scalar(
            insert(Clip)
            .values(
                id=clip_id,
                video_asset_id=video_asset_id,
                status="READY",
                start_s=clip.start_s,
                end_s=clip.end_s,
                variant="registered",
                clip_key=None,
                features=clip.features.model_dump(mode="json"),
            )
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(Clip)
        )
        if inserted is None:  # raising rolls the request's transaction back: none of the list is registered
            raise Conflict(f"a clip with id {clip_id} already exists: leave clip_id out to get a new one")
        rows.append(inserted)
    return [ClipOut.model_validate(row, from_attributes=True) for row in rows]
