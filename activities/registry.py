"""Builds every activity instance from the injected clients, split by task queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.analysis_records import AnalysisRecordsActivities
from activities.campaigns import CampaignActivities
from activities.clip_media import ClipMediaActivities
from activities.clip_records import ClipRecordsActivities
from activities.learning import LearningActivities
from activities.media import MediaActivities
from activities.records import RecordsActivities
from activities.storage import StorageActivities
from activities.vision import VisionActivities
from settings import Settings

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from types_aiobotocore_s3 import S3Client


def download_client(settings: Settings) -> httpx.AsyncClient:
    """HTTP client for video URLs: bounded redirects and timeouts (http(s) only, checked by the activity)."""
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=settings.download_max_redirects,
        timeout=httpx.Timeout(settings.download_timeout_seconds),
        headers={"User-Agent": "ugc-engine/0.1 (benchmark ingest)"},
    )


def anthropic_client(settings: Settings) -> AsyncAnthropic | None:
    """Claude with the SDK's own retries off (Temporal owns retries); None without a key."""
    if settings.anthropic_api_key is None:
        return None
    from activities.claude_vision import make_anthropic_client

    return make_anthropic_client(
        settings.anthropic_api_key.get_secret_value(),
        settings.anthropic_base_url,
        settings.claude_timeout_seconds,
    )


def build_activities(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    s3: S3Client,
    http: httpx.AsyncClient,
    anthropic: AsyncAnthropic | None,
) -> tuple[list[Callable[..., Any]], list[Callable[..., Any]]]:
    """(activities for ugc-main, activities for ugc-media)."""
    storage = StorageActivities(s3, http, settings.multipart_chunk_bytes)
    records = RecordsActivities(sessionmaker)
    analysis_records = AnalysisRecordsActivities(sessionmaker)
    media = MediaActivities(s3)
    claude = None
    if anthropic is not None:  # imported only when used: the SDK alone costs a worker ~35 MB
        from activities.claude_vision import ClaudeVision

        claude = ClaudeVision(anthropic, settings.claude_model)
    vision = VisionActivities(s3, sessionmaker, claude)
    clip_records = ClipRecordsActivities(sessionmaker)
    clip_media = ClipMediaActivities(s3)
    campaigns = CampaignActivities(sessionmaker)
    learning = LearningActivities(sessionmaker)
    main: list[Callable[..., Any]] = [
        storage.fetch_video,
        storage.publish_object,
        storage.delete_objects,
        records.upsert_benchmark,
        records.record_ingest_failure,
        analysis_records.set_analysis_status,
        analysis_records.record_probe,
        analysis_records.apply_analysis,
        vision.analyze_frames,
        clip_records.record_asset_probe,
        clip_records.record_clip,
        clip_records.finish_asset,
        campaigns.score_platform,
        campaigns.record_decision,
        campaigns.create_draft_campaign,
        learning.allocate_budget,
        learning.train_platform_weights,
    ]
    media_activities: list[Callable[..., Any]] = [
        media.probe_video,
        media.extract_frames,
        vision.analyze_frames_locally,
        clip_media.detect_shots,
        clip_media.cut_clip,
    ]
    return main, media_activities
