"""Builds the activity instances of each task queue from injected clients; heavy imports stay lazy so a
transfer-only worker never loads SQLAlchemy, PyAV or OpenCV."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from settings import Settings

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from types_aiobotocore_s3 import S3Client

    from models.schemas.media import MediaLimits

Activities = list[Callable[..., Any]]


def download_client(settings: Settings) -> httpx.AsyncClient:
    """HTTP client for untrusted video URLs, as storage.url_fetch.open_url needs it (it follows redirects itself)."""
    from storage.url_fetch import make_client

    return make_client(timeout_seconds=settings.download_timeout_seconds)


def anthropic_client(settings: Settings) -> AsyncAnthropic | None:
    """Claude with the SDK's own retries off (Temporal owns retries); None without a key."""
    if settings.anthropic_api_key is None:
        return None
    from vision.claude import make_anthropic_client

    return make_anthropic_client(
        settings.anthropic_api_key.get_secret_value(), settings.anthropic_base_url, settings.claude_timeout_seconds
    )


def transfer_activities(settings: Settings, s3: S3Client, http: httpx.AsyncClient) -> Activities:
    """ugc-transfer: streaming video in and out of the buckets."""
    from activities.storage import StorageActivities

    storage = StorageActivities(
        s3,
        http,
        settings.multipart_chunk_bytes,
        allowed_hosts=frozenset(settings.url_fetch_allowed_hosts),
        max_redirects=settings.download_max_redirects,
    )
    return [storage.fetch_video, storage.publish_object, storage.delete_objects]


def main_activities(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    s3: S3Client,
    anthropic: AsyncAnthropic | None,
    meta_http: httpx.AsyncClient | None = None,
) -> Activities:
    """ugc-main: database writes, Claude calls, campaign decisions, learning, Meta ads."""
    from activities.analysis_records import AnalysisRecordsActivities
    from activities.campaigns import CampaignActivities
    from activities.clip_records import ClipRecordsActivities
    from activities.learning import LearningActivities
    from activities.records import RecordsActivities
    from activities.vision import VisionActivities

    claude = None
    if anthropic is not None:  # imported only when used: the SDK alone costs a worker ~35 MB
        from vision.claude import ClaudeVision

        effort = None if settings.claude_effort == "default" else settings.claude_effort
        claude = ClaudeVision(anthropic, settings.claude_model, effort)
    records = RecordsActivities(sessionmaker)
    analysis_records = AnalysisRecordsActivities(sessionmaker)
    prices = (settings.claude_input_usd_per_mtok, settings.claude_output_usd_per_mtok)
    vision = VisionActivities(s3, sessionmaker, claude, prices)
    clip_records = ClipRecordsActivities(sessionmaker)
    campaigns = CampaignActivities(sessionmaker)
    learning = LearningActivities(sessionmaker)
    return [
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
        *meta_activities(settings, sessionmaker, s3, meta_http or meta_http_client(settings)),
    ]


def meta_http_client(settings: Settings) -> httpx.AsyncClient:
    """HTTP client for the Graph API: no redirects, no retries (Temporal retries), a bounded timeout."""
    return httpx.AsyncClient(timeout=httpx.Timeout(settings.meta_http_timeout_seconds), follow_redirects=False)


def meta_activities(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], s3: S3Client, http: httpx.AsyncClient
) -> Activities:
    """Publishing to Meta, syncing its insights and moving budgets."""
    from activities.meta import MetaActivities, MetaInsightsActivities, graph_config
    from activities.meta_budget import MetaBudgetActivities
    from activities.meta_records import MetaRecordsActivities
    from activities.meta_sync import MetaSyncActivities
    from ads.meta.usage import Pacer
    from ads.tokens import TokenBox

    key = settings.meta_token_key
    box = TokenBox(key.get_secret_value()) if key is not None else None
    pacer = Pacer(start_percent=settings.meta_pace_start_percent)
    meta = MetaActivities(sessionmaker, s3, http, graph_config(settings), box, pacer)
    records = MetaRecordsActivities(sessionmaker)
    insights = MetaInsightsActivities(meta)
    sync = MetaSyncActivities(sessionmaker, meta)
    budget = MetaBudgetActivities(sessionmaker, meta)
    return [
        meta.upload_video,
        meta.video_status,
        meta.upload_image,
        meta.ensure_object,
        records.prepare_publish,
        records.record_published,
        records.record_publish_failed,
        insights.start_insights,
        insights.report_status,
        sync.sync_page,
        sync.notify_creatives,
        sync.finish_sync,
        budget.plan_budgets,
        budget.apply_budget,
    ]


def media_limits(settings: Settings) -> MediaLimits:
    """The largest video the media steps accept (MAX_VIDEO_*)."""
    from models.schemas.media import MediaLimits

    return MediaLimits(
        max_width=settings.max_video_width,
        max_height=settings.max_video_height,
        max_duration_s=settings.max_video_duration_seconds,
        max_fps=settings.max_video_fps,
        max_frames=settings.max_video_frames,
    )


def media_activities(
    sessionmaker: async_sessionmaker[AsyncSession], s3: S3Client, settings: Settings | None = None
) -> Activities:
    """ugc-media: FFmpeg probing, frames, local analysis, shot detection and clip cutting.

    The media limits and the local crop cache come from `settings`; without them, the default limits and no cache.
    """
    from activities.clip_media import ClipMediaActivities
    from activities.media import MediaActivities
    from activities.vision import VisionActivities
    from media.crop_cache import CropCache

    limits = media_limits(settings) if settings is not None else None
    media = MediaActivities(s3, limits)
    vision = VisionActivities(s3, sessionmaker, None)
    crops = CropCache.in_temp_dir(settings.crop_cache_mb << 20) if settings is not None else None
    clip_media = ClipMediaActivities(s3, limits, crops)
    return [
        media.probe_video,
        media.extract_frames,
        vision.analyze_frames_locally,
        clip_media.detect_shots,
        clip_media.cut_clip,
    ]
