"""A small typed httpx client for the Graph API calls the engine makes (video, creative, campaign, ad set, ad,
insights, budgets).

Why not the official `facebook-business` SDK: it is synchronous (`requests`), so every call would block
an activity's event loop or need a thread; its `FacebookAdsApi` retries on its own, which hides failed
attempts from Temporal, the one owner of retries here; the Graph host is a class constant rather than a
per-client base URL, so pointing it at the local fake means patching globals; and its video uploader
reads a local file path, while the engine streams the clip from object storage in Meta's offsets without
staging it on disk. What the engine needs is a dozen form-encoded calls and a typed error mapping —
smaller to own than to wrap.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import httpx

from ads.meta.errors import DEFAULT_THROTTLE_DELAY, MetaError, MetaThrottled, MetaTransient, graph_error
from ads.meta.usage import Pacer, parse_usage

Edge = Literal["campaigns", "adsets", "ads", "adcreatives"]


@dataclass(frozen=True)
class GraphConfig:
    """Where the Graph API is and how patient a call may be (from settings)."""

    base_url: str = "https://graph.facebook.com"
    version: str = "v21.0"
    min_throttle_delay: timedelta = DEFAULT_THROTTLE_DELAY
    max_inline_wait_s: float = 10.0  # a pacing wait longer than this is left to a Temporal retry


@dataclass(frozen=True)
class UploadSession:
    """A chunked video upload Meta opened: where to send the next chunk."""

    session_id: str
    video_id: str
    start_offset: int
    end_offset: int


@dataclass(frozen=True)
class ReportStatus:
    status: str  # "Job Not Started", "Job Started", "Job Running", "Job Completed", "Job Failed", "Job Skipped"
    percent: int

    @property
    def done(self) -> bool:
        return self.status == "Job Completed"

    @property
    def failed(self) -> bool:
        return self.status in {"Job Failed", "Job Skipped"}


def act(account_id: str) -> str:
    """`act_<id>` whether the id was given with its prefix or without."""
    return account_id if account_id.startswith("act_") else f"act_{account_id}"


def _form(fields: Mapping[str, Any]) -> dict[str, str]:
    """Graph form encoding: nested values as JSON, scalars as text."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items() if v is not None}


class MetaClient:
    """One ad account's calls, with its token; no retries of its own (Temporal retries), pacing per account."""

    def __init__(self, http: httpx.AsyncClient, config: GraphConfig, token: str, account_id: str, pacer: Pacer):
        self.http = http
        self.config = config
        self._auth = {"Authorization": f"OAuth {token}"}  # a header, so the token is never in a URL or a log
        self.account = act(account_id)
        self.pacer = pacer

    def _url(self, path: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/{self.config.version}/{path.lstrip('/')}"

    async def call(
        self,
        method: Literal["GET", "POST"],
        path: str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        content: AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """One Graph request; a non-2xx answer raises the failure its error code means."""
        wait = self.pacer.delay_s(self.account)
        if wait > self.config.max_inline_wait_s:
            raise MetaThrottled(
                f"pacing {self.account}: usage is near Meta's limit", retry_after=timedelta(seconds=wait)
            )
        if wait > 0:
            await asyncio.sleep(wait)
        form = _form(params or {})
        try:
            if method == "GET":
                response = await self.http.get(self._url(path), params=form, headers=self._auth)
            elif content is not None:  # a body streamed as it is read (video chunks)
                response = await self.http.post(
                    self._url(path), content=content, headers={**self._auth, **(headers or {})}
                )
            else:
                response = await self.http.post(self._url(path), data=form, files=files, headers=self._auth)
        except httpx.TransportError as exc:
            # includes a connection dropped after Meta acted: the caller's lookup-before-create handles that
            raise MetaTransient(f"Meta unreachable: {type(exc).__name__}: {exc}") from None
        usage = parse_usage(response.headers)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success and isinstance(body, dict) and "error" not in body:
            self.pacer.observe(self.account, usage)
            return body
        error = graph_error(response.status_code, body, usage, min_throttle_delay=self.config.min_throttle_delay)
        throttled = isinstance(error, MetaThrottled)
        self.pacer.observe(self.account, usage, throttled=throttled, wait=error.retry_after if throttled else None)
        raise error

    # --- objects by deterministic name: Meta takes no idempotency key, so a name is the key ---

    async def find_by_name(self, edge: Edge, name: str) -> str | None:
        """The id of the account's object of this kind with exactly this name (None: not made yet)."""
        filtering = [{"field": "name", "operator": "EQUAL", "value": name}]
        body = await self.call("GET", f"{self.account}/{edge}", {"fields": "id,name", "filtering": filtering})
        for row in body.get("data") or []:
            if row.get("name") == name:
                return str(row["id"])
        return None

    async def create(self, edge: Edge, fields: Mapping[str, Any]) -> str:
        body = await self.call("POST", f"{self.account}/{edge}", fields)
        return _id(body)

    async def ensure(self, edge: Edge, name: str, fields: Mapping[str, Any]) -> tuple[str, bool]:
        """Find the object by name or create it: (id, created). A retry after a lost answer finds it."""
        found = await self.find_by_name(edge, name)
        if found is not None:
            return found, False
        return await self.create(edge, {**fields, "name": name}), True

    # --- video: Meta's chunked upload protocol ---

    async def find_video(self, title: str, max_pages: int = 20) -> str | None:
        """A finished upload of the account with this title."""
        params: dict[str, Any] = {"fields": "id,title", "limit": 100}
        for _ in range(max_pages):
            body = await self.call("GET", f"{self.account}/advideos", params)
            for row in body.get("data") or []:
                if row.get("title") == title:
                    return str(row["id"])
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if not after or not (body.get("paging") or {}).get("next"):
                return None
            params["after"] = after
        return None

    async def start_video_upload(self, file_size: int) -> UploadSession:
        body = await self.call(
            "POST", f"{self.account}/advideos", {"upload_phase": "start", "file_size": str(file_size)}
        )
        return UploadSession(
            session_id=str(body["upload_session_id"]),
            video_id=str(body["video_id"]),
            start_offset=int(body["start_offset"]),
            end_offset=int(body["end_offset"]),
        )

    async def transfer_video_chunk(self, session_id: str, start_offset: int, chunk: bytes) -> tuple[int, int]:
        """Send the chunk at `start_offset`; Meta answers where the next one starts and ends."""
        body = await self.call(
            "POST",
            f"{self.account}/advideos",
            {"upload_phase": "transfer", "upload_session_id": session_id, "start_offset": str(start_offset)},
            files={"video_file_chunk": ("chunk", chunk, "application/octet-stream")},
        )
        return int(body["start_offset"]), int(body["end_offset"])

    async def stream_video_chunk(
        self, session_id: str, start_offset: int, size: int, pieces: AsyncIterator[bytes]
    ) -> tuple[int, int]:
        """`transfer_video_chunk` with the chunk's bytes streamed from `pieces` (exactly `size` bytes)."""
        boundary = uuid.uuid4().hex
        fields = {"upload_phase": "transfer", "upload_session_id": session_id, "start_offset": str(start_offset)}
        head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                       for k, v in fields.items())  # fmt: skip
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="video_file_chunk"; filename="chunk"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        tail = f"\r\n--{boundary}--\r\n".encode()

        async def body() -> AsyncIterator[bytes]:
            yield head.encode()
            sent = 0
            async for piece in pieces:
                sent += len(piece)
                yield piece
            if sent != size:
                raise MetaTransient(f"the video source gave {sent} bytes for a {size}-byte chunk")
            yield tail

        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "Content-Length": str(len(head.encode()) + size + len(tail))}  # fmt: skip
        answer = await self.call("POST", f"{self.account}/advideos", content=body(), headers=headers)
        return int(answer["start_offset"]), int(answer["end_offset"])

    async def finish_video_upload(self, session_id: str, title: str) -> None:
        await self.call(
            "POST",
            f"{self.account}/advideos",
            {"upload_phase": "finish", "upload_session_id": session_id, "title": title},
        )

    async def video_status(self, video_id: str) -> str:
        """'ready', 'processing' or 'error'."""
        body = await self.call("GET", video_id, {"fields": "status"})
        return str((body.get("status") or {}).get("video_status") or "processing")

    async def upload_image(self, name: str, data: bytes) -> str:
        """An ad image's hash (Meta keys images by content, so a repeat upload gives the same hash)."""
        body = await self.call("POST", f"{self.account}/adimages", files={"filename": (name, data, "image/jpeg")})
        images = body.get("images") or {}
        for image in images.values():
            return str(image["hash"])
        raise MetaTransient("Meta answered an image upload without an image hash")

    # --- insights: async report jobs ---

    async def start_insights(self, fields: list[str], since: str, until: str) -> str:
        body = await self.call(
            "POST",
            f"{self.account}/insights",
            {
                "level": "ad",
                "time_increment": "1",
                "fields": ",".join(fields),
                "time_range": {"since": since, "until": until},
            },
        )
        return str(body["report_run_id"])

    async def report_status(self, report_run_id: str) -> ReportStatus:
        body = await self.call("GET", report_run_id, {"fields": "async_status,async_percent_completion"})
        return ReportStatus(str(body.get("async_status") or ""), int(body.get("async_percent_completion") or 0))

    async def report_page(
        self, report_run_id: str, after: str | None, limit: int = 100
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a finished report's rows and the cursor of the next page (None: last page)."""
        params: dict[str, Any] = {"limit": str(limit)}
        if after:
            params["after"] = after
        body = await self.call("GET", f"{report_run_id}/insights", params)
        paging = body.get("paging") or {}
        cursor = (paging.get("cursors") or {}).get("after") if paging.get("next") else None
        return list(body.get("data") or []), cursor

    # --- budgets ---

    async def adset_budget(self, adset_id: str) -> int:
        body = await self.call("GET", adset_id, {"fields": "daily_budget"})
        return int(body.get("daily_budget") or 0)

    async def set_adset_budget(self, adset_id: str, daily_budget_minor: int) -> None:
        await self.call("POST", adset_id, {"daily_budget": str(daily_budget_minor)})


def _id(body: Mapping[str, Any]) -> str:
    if "id" not in body:
        raise MetaError("Meta answered a create without an id", retryable=True)
    return str(body["id"])
