"""ClipRecordsActivities: video asset state and clip rows, upserted by caller-made ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from models.schemas.clips import AssetProbeInput, ClipRecordInput, FinishAssetInput
from models.schemas.common import Done
from models.tables import Clip, VideoAsset
from models.upsert import upsert_row


class ClipRecordsActivities:
    """Writes for PrepareClipsWorkflow; a retry leaves the state of one run."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    @activity.defn
    async def record_asset_probe(self, params: AssetProbeInput) -> Done:
        probe = params.probe
        values: dict[str, Any] = (
            {"status": "failed", "failure_reason": params.reason}
            if probe is None
            else {
                "status": "clipping",
                "duration_s": probe.duration_s,
                "width": probe.width,
                "height": probe.height,
                "has_audio": probe.has_audio,
                "failure_reason": None,
            }
        )
        async with self.sessionmaker.begin() as session:
            await session.execute(update(VideoAsset).where(VideoAsset.id == params.video_asset_id).values(**values))
        return Done()

    @activity.defn
    async def record_clip(self, params: ClipRecordInput) -> Done:
        values = {
            "id": params.clip_id,
            "video_asset_id": params.video_asset_id,
            "status": params.status,
            "start_s": params.start_s,
            "end_s": params.end_s,
            "variant": params.variant,
            "clip_key": params.clip_key,
            "features": params.features.model_dump(mode="json") if params.features else {},
            "failure_reason": params.failure_reason,
        }
        async with self.sessionmaker.begin() as session:
            await upsert_row(session, Clip, values)
        return Done()

    @activity.defn
    async def finish_asset(self, params: FinishAssetInput) -> Done:
        status = "ready" if params.ready else "failed"
        reason = None if params.ready else f"no clip could be made ({params.failed} failed)"
        async with self.sessionmaker.begin() as session:
            await session.execute(
                update(VideoAsset)
                .where(VideoAsset.id == params.video_asset_id)
                .values(status=status, failure_reason=reason)
            )
        return Done()
