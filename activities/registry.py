"""Builds every activity instance from the injected clients, split by task queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.media import MediaActivities
from activities.records import RecordsActivities
from activities.storage import StorageActivities
from settings import Settings

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client


def download_client(settings: Settings) -> httpx.AsyncClient:
    """HTTP client for video URLs: bounded redirects and timeouts (http(s) only, checked by the activity)."""
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=settings.download_max_redirects,
        timeout=httpx.Timeout(settings.download_timeout_seconds),
        headers={"User-Agent": "ugc-engine/0.1 (benchmark ingest)"},
    )


def build_activities(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], s3: S3Client, http: httpx.AsyncClient
) -> tuple[list[Callable[..., Any]], list[Callable[..., Any]]]:
    """(activities for ugc-main, activities for ugc-media)."""
    storage = StorageActivities(s3, http, settings.multipart_chunk_bytes)
    records = RecordsActivities(sessionmaker)
    media = MediaActivities(s3)
    main: list[Callable[..., Any]] = [
        storage.fetch_video,
        storage.publish_object,
        storage.delete_objects,
        records.upsert_benchmark,
        records.record_ingest_failure,
    ]
    return main, [media.probe_video]
