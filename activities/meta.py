"""MetaActivities: Graph API calls for one ad account, its token loaded (and decrypted) here by account id.

Each create looks its deterministic name up first, so a retry after a lost answer or a killed worker finds
the object instead of making a second one. A refused token marks the account `needs_reconnect` before the
typed failure leaves the activity.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.errors import typed_failures
from ads.meta.client import GraphConfig, MetaClient
from ads.meta.errors import MetaTokenExpired
from ads.meta.insights import INSIGHT_FIELDS
from ads.meta.upload import Cursor, transfer_all
from ads.meta.usage import Pacer
from ads.tokens import TokenBox
from domain.failures import InvalidInput
from models.schemas.meta import (
    MetaEnsureInput,
    MetaImageInput,
    MetaObjectRef,
    MetaUploadInput,
    MetaVideoStatusInput,
    ReportState,
    ReportStatusInput,
    StartInsightsInput,
)
from models.tables import AdAccount
from storage.objects import ObjectRef
from storage.ranges import SequentialObject

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client


class AdAccountUnavailable(InvalidInput):
    """The ad account is gone, disconnected or has no stored token."""

    kind = "AdAccountUnavailable"


async def mark_needs_reconnect(sessionmaker: async_sessionmaker[AsyncSession], account_id: uuid.UUID, why: str) -> None:
    """The account shows that its token must be renewed (and stops being synced until it is)."""
    async with sessionmaker.begin() as session:
        await session.execute(
            update(AdAccount)
            .where(AdAccount.id == account_id, AdAccount.status == "connected")
            .values(status="needs_reconnect", status_reason=why)
        )


class MetaActivities:
    """Thin adapters over ads.meta; the HTTP client, pacer and token key are injected by the worker."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        s3: S3Client,
        http: httpx.AsyncClient,
        config: GraphConfig,
        box: TokenBox | None,
        pacer: Pacer,
    ):
        self.sessionmaker = sessionmaker
        self.s3 = s3
        self.http = http
        self.config = config
        self.box = box
        self.pacer = pacer

    @asynccontextmanager
    async def client(self, ad_account_id: uuid.UUID) -> AsyncIterator[MetaClient]:
        """A client with the account's token; a refused token marks the account before the failure goes on."""
        async with self.sessionmaker() as session:
            account = await session.get(AdAccount, ad_account_id)
        if account is None or account.status == "disconnected" or account.token_ciphertext is None:
            raise AdAccountUnavailable("the ad account is not connected")
        if account.status == "needs_reconnect":
            raise MetaTokenExpired(f"the ad account needs reconnecting: {account.status_reason}")
        if self.box is None:
            raise AdAccountUnavailable("META_TOKEN_KEY is not configured on the worker")
        meta = MetaClient(
            self.http, self.config, self.box.open(account.token_ciphertext), account.account_id, self.pacer
        )
        try:
            yield meta
        except MetaTokenExpired as expired:
            await mark_needs_reconnect(self.sessionmaker, account.id, expired.message)
            raise

    @activity.defn
    @typed_failures
    async def upload_video(self, params: MetaUploadInput) -> MetaObjectRef:
        """The clip to the account's ad videos in Meta's chunks, streamed from storage, resumed from the heartbeat."""
        async with self.client(params.ad_account_id) as meta:
            found = await meta.find_video(params.title)
            if found is not None:
                return MetaObjectRef(id=found, created=False)
            ref = ObjectRef.parse(params.key)
            size = int((await self.s3.head_object(Bucket=ref.bucket, Key=ref.key))["ContentLength"])
            details = activity.info().heartbeat_details
            if details and isinstance(details[0], dict) and details[0].get("size") == size:
                saved = details[0]
                cursor = Cursor(saved["session_id"], saved["video_id"], saved["start_offset"], saved["end_offset"])
            else:
                session = await meta.start_video_upload(size)
                cursor = Cursor(session.session_id, session.video_id, session.start_offset, session.end_offset)
            activity.heartbeat(asdict(cursor) | {"size": size})

            source = SequentialObject(self.s3, ref, size)

            def progress(start: int, end: int) -> None:
                activity.heartbeat(asdict(cursor) | {"start_offset": start, "end_offset": end, "size": size})

            try:
                done = await transfer_all(meta, cursor, source.range, progress, size)
            finally:
                await source.close()
            await meta.finish_video_upload(done.session_id, params.title)
            return MetaObjectRef(id=done.video_id, created=True)

    @activity.defn
    @typed_failures
    async def video_status(self, params: MetaVideoStatusInput) -> str:
        """'ready', 'processing' or 'error' (the workflow waits with a timer between reads)."""
        async with self.client(params.ad_account_id) as meta:
            return await meta.video_status(params.video_id)

    @activity.defn
    @typed_failures
    async def upload_image(self, params: MetaImageInput) -> str:
        """A stored JPEG (the hook frame) as an ad image; Meta keys images by content, so a retry is harmless."""
        ref = ObjectRef.parse(params.key)
        answer = await self.s3.get_object(Bucket=ref.bucket, Key=ref.key)
        async with answer["Body"] as body:
            data = await body.read()
        async with self.client(params.ad_account_id) as meta:
            return await meta.upload_image(params.name, data)

    @activity.defn
    @typed_failures
    async def ensure_object(self, params: MetaEnsureInput) -> MetaObjectRef:
        """Find the object by its deterministic name, or create it."""
        async with self.client(params.ad_account_id) as meta:
            object_id, created = await meta.ensure(params.edge, params.name, params.fields)
            return MetaObjectRef(id=object_id, created=created)


def graph_config(settings: Any) -> GraphConfig:
    """The client's configuration from the settings (META_GRAPH_URL, META_GRAPH_VERSION, pacing)."""
    from datetime import timedelta

    return GraphConfig(
        base_url=settings.meta_graph_url or "https://graph.facebook.com",
        version=settings.meta_graph_version,
        min_throttle_delay=timedelta(seconds=settings.meta_throttle_min_delay_seconds),
        max_inline_wait_s=settings.meta_max_inline_wait_seconds,
    )


class MetaInsightsActivities:
    """The insights report job: started and polled here; its pages are read by MetaSyncActivities."""

    def __init__(self, meta: MetaActivities):
        self.meta = meta

    @activity.defn
    @typed_failures
    async def start_insights(self, params: StartInsightsInput) -> str:
        """An async report: level=ad, one row per ad and day, the delivery, funnel, spend and video fields."""
        async with self.meta.client(params.ad_account_id) as meta:
            return await meta.start_insights(INSIGHT_FIELDS, params.since, params.until)

    @activity.defn
    @typed_failures
    async def report_status(self, params: ReportStatusInput) -> ReportState:
        async with self.meta.client(params.ad_account_id) as meta:
            state = await meta.report_status(params.report_run_id)
            return ReportState(status=state.status, percent=state.percent, done=state.done, failed=state.failed)
