"""Benchmarks, creatives and workflows as plans, named as docs/contract/ names them; answers are the API's models.

Video assets, campaigns and learning are in ugc_client/campaigns.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from models.schemas.benchmarks import BenchmarkPage
from models.schemas.common import WorkflowSignalled, WorkflowStarted, WorkflowStatus
from models.schemas.creatives import CreativeOut, PerformanceTotals, VideoAccess
from ugc_client.errors import WorkflowTimeout
from ugc_client.plans import TOKEN_SUBJECT, Call, FileContent, Plan, Sleep, given, multipart, returns, upload_part

Id = uuid.UUID | str
DEFAULT_PRODUCT_CATEGORY = "uncategorized"


def health() -> Call[dict[str, Any]]:
    """GET /healthz: liveness, {"status": "ok"} while the API serves requests."""
    return Call("GET", "/healthz", returns(dict[str, Any]))


def ready() -> Call[dict[str, Any]]:
    """GET /readyz: each backing service's state (503 → ServiceUnavailable naming the failing one)."""
    return Call("GET", "/readyz", returns(dict[str, Any]))


def ingest_benchmark_video(
    video_url: str | None = None,
    *,
    creative_name: str,
    product_category: str,
    market_cvr: float,
    market_longevity_days: int,
    avg_daily_clicks: float,
    source_platform: str = "other",
    hook_type: str | None = None,
    emotion: str | None = None,
    pacing: str | None = None,
    target_audience_pain: str | None = None,
    file_content: FileContent | None = None,
    filename: str | None = None,
    creative_id: Id | None = None,
) -> Plan[WorkflowStarted]:
    """POST /api/v1/benchmarks (admin): a market winner from `video_url`, or uploaded from `file_content`.

    Answers at once with the creative's id and its `IngestBenchmarkWorkflow` (`wait_for_workflow` follows it);
    a repeated `creative_id` repeats nothing.
    """
    if (video_url is None) == (file_content is None):
        raise ValueError("give exactly one of video_url or file_content")
    fields = {
        "creative_name": creative_name, "product_category": product_category, "source_platform": source_platform,
        "market_cvr": market_cvr, "market_longevity_days": market_longevity_days,
        "avg_daily_clicks": avg_daily_clicks, "hook_type": hook_type, "emotion": emotion, "pacing": pacing,
        "target_audience_pain": target_audience_pain, "creative_id": str(creative_id) if creative_id else None,
    }  # fmt: skip
    read = returns(WorkflowStarted)
    if video_url is not None:
        return (yield Call("POST", "/api/v1/benchmarks", read, json={**given(fields), "video_url": video_url}))
    assert file_content is not None
    with upload_part(file_content, filename) as part:
        return (yield multipart("/api/v1/benchmarks", read, fields, part))


def list_benchmarks(product_category: str | None = None, *, limit: int = 20, offset: int = 0) -> Call[BenchmarkPage]:
    """GET /api/v1/creatives/benchmarks: the public library (no token needed), newest first."""
    params = {"product_category": product_category, "limit": limit, "offset": offset}
    return Call("GET", "/api/v1/creatives/benchmarks", returns(BenchmarkPage), params=given(params))


def upload_client_video(
    file_content: FileContent,
    filename: str | None = None,
    user_id: str | None = None,
    *,
    creative_name: str | None = None,
    product_category: str = DEFAULT_PRODUCT_CATEGORY,
    tags: Sequence[str] | None = None,
) -> Plan[WorkflowStarted]:
    """POST /api/v1/creatives: a private client video, analyzed after its 5th conversion (or when forced).

    The owner is always the token's subject; `user_id`, when given, must name it. `creative_name` defaults
    to the file's name. Not a video → UnsupportedMediaType; too large → PayloadTooLarge.
    """
    if user_id is not None:
        subject = yield TOKEN_SUBJECT
        if subject is not None and subject != user_id:
            raise ValueError(f"user_id {user_id!r} is not this client's token subject {subject!r}")
    with upload_part(file_content, filename) as part:
        fields = {
            "creative_name": creative_name or part[0],
            "product_category": product_category,
            "tags": ",".join(tags) if tags else None,
        }
        return (yield multipart("/api/v1/creatives", returns(WorkflowStarted), fields, part))


def get_creative(creative_id: Id) -> Call[CreativeOut]:
    """GET /api/v1/creatives/{id}: status, tags, totals and analyses (owner, admin; anyone for a benchmark)."""
    return Call("GET", f"/api/v1/creatives/{creative_id}", returns(CreativeOut))


def report_creative_performance(
    creative_id: Id, *, event_id: str, impressions: int = 0, clicks: int = 0, conversions: int = 0
) -> Call[PerformanceTotals]:
    """POST /api/v1/creatives/{id}/performance: deltas, counted once per `event_id`."""
    report = {"event_id": event_id, "impressions": impressions, "clicks": clicks, "conversions": conversions}
    return Call("POST", f"/api/v1/creatives/{creative_id}/performance", returns(PerformanceTotals), json=report)


def force_analyze(creative_id: Id) -> Call[WorkflowSignalled]:
    """POST /api/v1/creatives/force-analyze (admin): analyze now, whatever the triggers say."""
    body = {"creative_id": str(creative_id)}
    return Call("POST", "/api/v1/creatives/force-analyze", returns(WorkflowSignalled), json=body)


def generate_client_video_access_url(creative_id: Id) -> Call[VideoAccess]:
    """GET /api/v1/creatives/video-access/{id}: a benchmark's public URL, or a presigned URL for the owner."""
    return Call("GET", f"/api/v1/creatives/video-access/{creative_id}", returns(VideoAccess))


def get_workflow(workflow_id: str) -> Call[WorkflowStatus]:
    """GET /api/v1/workflows/{id}: status, progress, result or typed failure (the starter, admin)."""
    return Call("GET", f"/api/v1/workflows/{workflow_id}", returns(WorkflowStatus))


def wait_for_workflow(
    workflow_id: str,
    *,
    on_progress: Callable[[WorkflowStatus], object] | None = None,
    timeout: float = 1800.0,
    poll_interval: float = 0.5,
) -> Plan[WorkflowStatus]:
    """Poll the workflow until it is no longer RUNNING and return its last status (COMPLETED or not).

    `on_progress` gets each RUNNING status (its `progress` says what it is doing); past `timeout` seconds
    → WorkflowTimeout carrying the last status.
    """
    deadline = time.monotonic() + timeout
    while True:
        state: WorkflowStatus = yield get_workflow(workflow_id)
        if state.status != "RUNNING":
            return state
        if on_progress is not None:
            on_progress(state)
        left = deadline - time.monotonic()
        if left <= 0:
            raise WorkflowTimeout(workflow_id, timeout, state)
        yield Sleep(min(poll_interval, left))
