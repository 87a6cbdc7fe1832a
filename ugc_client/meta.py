"""Meta ad accounts, publishing drafts and syncing insights, as plans (answers are the API's models)."""

from __future__ import annotations

from typing import Any

from models.schemas.ad_accounts import AdAccountOut
from models.schemas.meta import PublishCampaignOutput, SyncInsightsOutput
from ugc_client.campaigns import _answer_or_accepted, _finished
from ugc_client.endpoints import Id
from ugc_client.plans import Call, Plan, given, returns


def connect_ad_account(account_id: str, page_id: str, access_token: str, name: str | None = None) -> Call[AdAccountOut]:
    """POST /api/v1/ad-accounts: connect a Meta ad account (again: its token is refreshed)."""
    body = given({"account_id": account_id, "page_id": page_id, "access_token": access_token, "name": name})
    return Call("POST", "/api/v1/ad-accounts", returns(AdAccountOut), json=body)


def list_ad_accounts() -> Call[list[AdAccountOut]]:
    return Call("GET", "/api/v1/ad-accounts", returns(list[AdAccountOut]))


def get_ad_account(ad_account_id: Id) -> Call[AdAccountOut]:
    """GET /api/v1/ad-accounts/{id}: its status (`needs_reconnect` once Meta refused its token), last sync."""
    return Call("GET", f"/api/v1/ad-accounts/{ad_account_id}", returns(AdAccountOut))


def disconnect_ad_account(ad_account_id: Id) -> Call[None]:
    return Call("DELETE", f"/api/v1/ad-accounts/{ad_account_id}", lambda response: None)


def publish_campaign(campaign_id: Id, ad_account_id: Id, *, link: str, **options: Any) -> Plan[PublishCampaignOutput]:
    """POST /campaigns/{id}/publish, then wait for PublishCampaignWorkflow (PAUSED unless status="ACTIVE")."""
    body = given({"ad_account_id": str(ad_account_id), "link": link, **options})
    call = Call("POST", f"/campaigns/{campaign_id}/publish", _answer_or_accepted, json=body)
    return (yield from _finished(call, PublishCampaignOutput))


def sync_insights(ad_account_id: Id) -> Plan[SyncInsightsOutput]:
    """POST /api/v1/ad-accounts/{id}/sync (admin), then wait for SyncInsightsWorkflow."""
    call = Call("POST", f"/api/v1/ad-accounts/{ad_account_id}/sync", _answer_or_accepted)
    return (yield from _finished(call, SyncInsightsOutput))
