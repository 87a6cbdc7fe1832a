"""Video assets, campaigns, the ledger and learning as plans; the names of docs/contract/ where it names them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter

from models.schemas.campaign_reads import CampaignOut, CampaignPage, VideoAssetOut
from models.schemas.campaigns import BestClipOut, OrchestrateCampaignResponse
from models.schemas.clips import ClipOut, ClipRegistration, VideoAssetCreated
from models.schemas.common import WorkflowStatus
from models.schemas.learning import CampaignResults, Recommendations, TrainRulesOutput
from models.schemas.ledger import LedgerPage
from ugc_client.endpoints import Id, wait_for_workflow
from ugc_client.errors import NotFound, WorkflowFailed
from ugc_client.plans import Call, FileContent, Plan, given, multipart, returns, upload_part

T = TypeVar("T")


def upload_video_asset(
    file_content: FileContent, filename: str | None = None, *, name: str | None = None,
    product_category: str | None = None,
) -> Plan[VideoAssetCreated]:  # fmt: skip
    """POST /api/v1/video-assets: a video to cut into candidate clips (`PrepareClipsWorkflow`)."""
    with upload_part(file_content, filename) as part:
        fields = {"name": name or part[0], "product_category": product_category}
        return (yield multipart("/api/v1/video-assets", returns(VideoAssetCreated), fields, part))


def list_clips(video_asset_id: Id) -> Call[list[ClipOut]]:
    """GET /api/v1/video-assets/{id}/clips: the asset's clips with status and features."""
    return Call("GET", f"/api/v1/video-assets/{video_asset_id}/clips", returns(list[ClipOut]))


def register_clips(video_asset_id: Id, clips: Sequence[ClipRegistration | dict[str, Any]]) -> Call[list[ClipOut]]:
    """POST /api/v1/video-assets/{id}/clips: clips cut elsewhere, with their features (READY at once)."""
    body = [clip.model_dump(mode="json") if isinstance(clip, ClipRegistration) else clip for clip in clips]
    return Call("POST", f"/api/v1/video-assets/{video_asset_id}/clips", returns(list[ClipOut]), json=body)


def orchestrate_campaigns_for_video(
    video_asset_id: Id,
    platforms: Sequence[str] | None = None,
    *,
    daily_budget_cents: int | None = None,
    request_id: str | None = None,
) -> Plan[OrchestrateCampaignResponse]:
    """POST /campaigns/orchestrate: each platform's best READY clip and a draft campaign for it.

    `platforms` defaults to the API's (tiktok, instagram, youtube); the same `request_id` repeats nothing.
    When the API stops waiting (202), the workflow is polled to its end.
    """
    body = given(
        {
            "video_asset_id": str(video_asset_id),
            "platforms": list(platforms) if platforms is not None else None,
            "daily_budget_cents": daily_budget_cents,
            "request_id": request_id,
        }
    )
    return (
        yield from _finished(
            Call("POST", "/campaigns/orchestrate", _answer_or_accepted, json=body), OrchestrateCampaignResponse
        )
    )


def get_best_clip_decision(video_asset_id: Id, platform: str) -> Plan[BestClipOut | None]:
    """GET /campaigns/best_clip: the current decision, or None when there is none (orchestrate first).

    An unknown asset, or another user's, also gives None: the API answers both as a missing decision would.
    """
    params = {"video_asset_id": str(video_asset_id), "platform": platform}
    try:
        return (yield Call("GET", "/campaigns/best_clip", returns(BestClipOut), params=params))
    except NotFound:
        return None


def report_campaign_performance(
    campaign_id: Id, *, event_id: str, impressions: int = 0, clicks: int = 0, conversions: int = 0
) -> Call[CampaignResults]:
    """POST /campaigns/{id}/performance: a draft campaign's results (deltas), counted once per `event_id`."""
    report = {"event_id": event_id, "impressions": impressions, "clicks": clicks, "conversions": conversions}
    return Call("POST", f"/campaigns/{campaign_id}/performance", returns(CampaignResults), json=report)


def get_recommendations(
    product_category: str, *, limit: int = 10, seed: int | None = None, client_id: str | None = None
) -> Call[Recommendations]:
    """GET /api/v1/patterns/recommendations: the category's patterns ranked by a Thompson draw.

    The same `seed` gives the same ranking; `client_id` (admin only) ranks for that client, or "all".
    """
    params = given({"product_category": product_category, "limit": limit, "seed": seed, "client_id": client_id})
    return Call("GET", "/api/v1/patterns/recommendations", returns(Recommendations), params=params)


def train_rules() -> Plan[TrainRulesOutput]:
    """POST /api/v1/rules/train (admin): refit each platform's rule weights now (waits for the workflow)."""
    return (yield from _finished(Call("POST", "/api/v1/rules/train", _answer_or_accepted), TrainRulesOutput))


@dataclass(frozen=True)
class _Accepted:
    workflow_id: str


def _answer_or_accepted(response: httpx.Response) -> Any:
    """The answer's JSON, or the running workflow's id when the API stopped waiting for it (202)."""
    body = response.json()
    return _Accepted(body["workflow_id"]) if response.status_code == 202 else body


def _finished(call: Call[Any], kind: type[T]) -> Plan[T]:
    """Read the answer as `kind`; after a 202, wait for the workflow and read its result instead."""
    answer = yield call
    if isinstance(answer, _Accepted):
        state: WorkflowStatus = yield from wait_for_workflow(answer.workflow_id)
        if state.status != "COMPLETED":
            raise WorkflowFailed(state)
        answer = state.result
    return TypeAdapter(kind).validate_python(answer, by_alias=True, by_name=True)


def get_video_asset(video_asset_id: Id) -> Call[VideoAssetOut]:
    """GET /api/v1/video-assets/{id}: where its clipping stands (and why it failed), clip counts, decisions."""
    return Call("GET", f"/api/v1/video-assets/{video_asset_id}", returns(VideoAssetOut))


def list_campaigns(
    *, video_asset_id: Id | None = None, platform: str | None = None, status: str | None = None, limit: int = 50,
    offset: int = 0,
) -> Call[CampaignPage]:  # fmt: skip
    """GET /campaigns: the caller's campaigns, newest first (an admin's: everyone's)."""
    params = {"video_asset_id": video_asset_id, "platform": platform, "status": status, "limit": limit}
    return Call("GET", "/campaigns", returns(CampaignPage), params=given({**params, "offset": offset}))


def get_campaign(campaign_id: Id) -> Call[CampaignOut]:
    """GET /campaigns/{id}: one campaign with its clip, the decision behind it, budget and results."""
    return Call("GET", f"/campaigns/{campaign_id}", returns(CampaignOut))


def list_ledger_events(
    *, entity_id: Id | None = None, event_type: str | None = None, limit: int = 50, offset: int = 0
) -> Call[LedgerPage]:
    """GET /api/v1/ledger: the audit trail of the caller's assets and campaigns (`best_clip_selected`, ...)."""
    params = given({"entity_id": entity_id, "event_type": event_type, "limit": limit, "offset": offset})
    return Call("GET", "/api/v1/ledger", returns(LedgerPage), params=params)
