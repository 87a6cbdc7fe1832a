"""Connected Meta ad accounts: connect (or reconnect), list, show, disconnect — each the caller's own."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from ads.tokens import TokenBox
from api.auth import User
from api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound, ServiceUnavailable
from api.routes.workflows import WorkflowRunning, workflow_url
from api.services.meta_sync import drop_account_schedule, ensure_account_schedule, sync_attributes, sync_input
from models.schemas.ad_accounts import AdAccountConnect, AdAccountOut
from models.tables import AdAccount
from models.upsert import upsert_row
from settings import Settings
from workflows.queues import TASK_QUEUE_MAIN
from workflows.sync_insights import SyncInsightsWorkflow

router = APIRouter(prefix="/api/v1/ad-accounts", tags=["ad accounts"])


def token_box(settings: Settings) -> TokenBox:
    if settings.meta_token_key is None:
        raise ServiceUnavailable("META_TOKEN_KEY is not configured: ad account tokens cannot be stored")
    return TokenBox(settings.meta_token_key.get_secret_value())


async def owned_account(session: SessionDep, account_id: uuid.UUID, user: User) -> AdAccount:
    """The caller's connected account (admins: anyone's); anything else is answered as missing."""
    account = await session.get(AdAccount, account_id)
    if account is None or account.status == "disconnected" or not (account.owner_id == user.id or user.is_admin):
        raise NotFound("no such ad account")
    return account


@router.post(
    "", status_code=201, response_model=AdAccountOut, summary="Connect a Meta ad account (or refresh its token)"
)
async def connect(
    body: AdAccountConnect, user: CurrentUser, session: SessionDep, settings: SettingsDep, temporal: TemporalDep
) -> AdAccountOut:
    sealed = token_box(settings).seal(body.access_token.get_secret_value())
    existing = await session.scalar(
        select(AdAccount.id).where(AdAccount.owner_id == user.id, AdAccount.account_id == body.account_id)
    )
    values = {
        "id": existing or uuid.uuid4(),
        "owner_id": user.id,
        "account_id": body.account_id,
        "page_id": body.page_id,
        "name": body.name,
        "token_ciphertext": sealed,
        "status": "connected",
        "status_reason": None,
    }
    await upsert_row(session, AdAccount, values, keys=("owner_id", "account_id"), keep=frozenset({"owner_id"}))
    account = await session.scalar(
        select(AdAccount)
        .where(AdAccount.owner_id == user.id, AdAccount.account_id == body.account_id)
        .execution_options(populate_existing=True)
    )
    assert account is not None
    await session.commit()
    await ensure_account_schedule(temporal, settings, account.id, sync_attributes(account.owner_id, account.account_id))
    return AdAccountOut.model_validate(account)


@router.get("", response_model=list[AdAccountOut], summary="The caller's connected ad accounts (admins: all)")
async def list_accounts(user: CurrentUser, session: SessionDep) -> list[AdAccountOut]:
    query = select(AdAccount).where(AdAccount.status != "disconnected").order_by(AdAccount.created_at, AdAccount.id)
    if not user.is_admin:
        query = query.where(AdAccount.owner_id == user.id)
    return [AdAccountOut.model_validate(row) for row in await session.scalars(query)]


@router.get(
    "/{account_id}", response_model=AdAccountOut, summary="One ad account: status (needs_reconnect?), last sync"
)
async def show(account_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> AdAccountOut:
    return AdAccountOut.model_validate(await owned_account(session, account_id, user))


@router.delete("/{account_id}", status_code=204, response_class=Response, summary="Disconnect: the token is erased")
async def disconnect(account_id: uuid.UUID, user: CurrentUser, session: SessionDep, temporal: TemporalDep) -> Response:
    account = await owned_account(session, account_id, user)
    account.token_ciphertext = None
    account.status = "disconnected"
    account.status_reason = "disconnected by its owner"
    await session.commit()
    await drop_account_schedule(temporal, account.id)
    return Response(status_code=204)


@router.post(
    "/{account_id}/sync",
    status_code=202,
    response_model=WorkflowRunning,
    summary="Sync an account's Meta insights now (admin; also runs on the account's schedule)",
)
async def sync_now(
    account_id: uuid.UUID, admin: AdminUser, session: SessionDep, settings: SettingsDep, temporal: TemporalDep
) -> JSONResponse:
    account = await owned_account(session, account_id, admin)
    handle = await temporal.start_workflow(
        SyncInsightsWorkflow.run,
        sync_input(settings, account.id),
        id=f"sync-insights-{account.id}-manual-{uuid.uuid4().hex[:12]}",
        task_queue=TASK_QUEUE_MAIN,
        memo={"owner_id": admin.id, "ad_account_id": str(account.id)},
        search_attributes=sync_attributes(account.owner_id, account.account_id),
    )
    url = workflow_url(handle.id)
    body = WorkflowRunning(workflow_id=handle.id, status_url=url)
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": url})
