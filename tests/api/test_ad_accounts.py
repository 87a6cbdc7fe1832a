"""Ad accounts: connected by their owner, the token encrypted at rest and never shown; others get 404."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from ads.tokens import TokenBox
from api.auth import issue_token
from models.tables import AdAccount
from settings import Settings
from tests.conftest import bearer

TOKEN = "EAAB-secret-token-" + "x" * 40


def account_body(**overrides: str) -> dict[str, str]:
    return {"account_id": str(uuid.uuid4().int % 10**12), "page_id": "1029384756", "access_token": TOKEN} | overrides


async def test_connect_show_list_disconnect(
    api: httpx.AsyncClient, stack_settings: Settings, db: object, caplog: pytest.LogCaptureFixture
) -> None:
    owner, other = (bearer(issue_token(stack_settings, f"ads-{uuid.uuid4().hex[:8]}")) for _ in range(2))
    caplog.set_level(logging.DEBUG)
    body = account_body()
    created = await api.post("/api/v1/ad-accounts", json=body, headers=owner)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["account_id"] == f"act_{body['account_id']}" and account["status"] == "connected"
    assert TOKEN not in created.text and "token" not in "".join(account)
    account_id = account["id"]

    async with db() as session:  # type: ignore[operator]
        row = await session.get(AdAccount, uuid.UUID(account_id))
        assert row.token_ciphertext and TOKEN not in row.token_ciphertext
        key = stack_settings.meta_token_key
        assert key is not None and TokenBox(key.get_secret_value()).open(row.token_ciphertext) == TOKEN

    shown = await api.get(f"/api/v1/ad-accounts/{account_id}", headers=owner)
    assert shown.status_code == 200 and shown.json() == account
    listed = (await api.get("/api/v1/ad-accounts", headers=owner)).json()
    assert [a["id"] for a in listed] == [account_id]

    # another client: the account is exactly as missing, on reads and on writes
    missing = await api.get(f"/api/v1/ad-accounts/{uuid.uuid4()}", headers=other)
    for response in (
        await api.get(f"/api/v1/ad-accounts/{account_id}", headers=other),
        await api.delete(f"/api/v1/ad-accounts/{account_id}", headers=other),
    ):
        assert (response.status_code, response.json()) == (404, missing.json())
    assert (await api.get("/api/v1/ad-accounts", headers=other)).json() == []

    # connecting the same account again refreshes its token on the same row
    again = await api.post("/api/v1/ad-accounts", json=body | {"access_token": TOKEN + "2"}, headers=owner)
    assert again.status_code == 201 and again.json()["id"] == account_id

    assert (await api.delete(f"/api/v1/ad-accounts/{account_id}", headers=owner)).status_code == 204
    assert (await api.get(f"/api/v1/ad-accounts/{account_id}", headers=owner)).status_code == 404
    async with db() as session:  # type: ignore[operator]
        row = await session.get(AdAccount, uuid.UUID(account_id))
        assert row.token_ciphertext is None and row.status == "disconnected"
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    "overrides",
    [{"account_id": "act_12ab"}, {"page_id": "page"}, {"access_token": "short"}, {"account_id": "1" * 21}],
)
async def test_bad_input_is_422_without_echoing_the_token(
    api: httpx.AsyncClient, user_token: str, overrides: dict[str, str]
) -> None:
    response = await api.post("/api/v1/ad-accounts", json=account_body(**overrides), headers=bearer(user_token))
    assert response.status_code == 422 and TOKEN not in response.text


async def test_anonymous_is_401(api: httpx.AsyncClient) -> None:
    assert (await api.post("/api/v1/ad-accounts", json=account_body())).status_code == 401
    assert (await api.get("/api/v1/ad-accounts")).status_code == 401
