import logging
import time

import httpx
import jwt
import pytest

from api.auth import issue_token
from settings import Settings
from tests.conftest import bearer

ADMIN_ROUTE = "/api/v1/benchmarks"
USER_ROUTE = "/api/v1/workflows/ingest-benchmark-does-not-exist"


def _sign(settings: Settings, claims: dict[str, object], key: str | None = None, alg: str = "HS256") -> str:
    secret = key or (settings.jwt_secret.get_secret_value() if settings.jwt_secret else "")
    return jwt.encode(claims, secret, algorithm=alg)


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {"sub": "user-9", "iat": now, "exp": now + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _unsigned(claims: dict[str, object]) -> str:
    return jwt.encode(claims, key="", algorithm="none")


BAD_TOKENS = {
    "garbage": lambda s: "not-a-jwt",
    "alg none": lambda s: _unsigned(_claims(roles=["admin"])),
    "bad signature": lambda s: _sign(s, _claims(), key="x" * 40),
    "expired": lambda s: _sign(s, _claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
    "no exp": lambda s: _sign(s, _claims(exp=None)),
    "no sub": lambda s: _sign(s, _claims(sub=None)),
    "no iat": lambda s: _sign(s, _claims(iat=None)),
}


async def test_missing_token_is_401(api: httpx.AsyncClient) -> None:
    response = await api.get(USER_ROUTE)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_tokens_are_401_and_never_echoed(
    api: httpx.AsyncClient, stack_settings: Settings, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = BAD_TOKENS[case](stack_settings)
    caplog.set_level(logging.DEBUG)
    for route, method in ((USER_ROUTE, "GET"), (ADMIN_ROUTE, "POST")):
        response = await api.request(method, route, headers=bearer(token), json={})
        assert response.status_code == 401, (case, route, response.text)
        assert set(response.json()) == {"error", "detail"}
        assert token not in response.text
    assert token not in caplog.text


async def test_wrong_audience_or_issuer_is_401(app: object, api: httpx.AsyncClient, stack_settings: Settings) -> None:
    strict = stack_settings.model_copy(update={"jwt_audience": "ugc-api", "jwt_issuer": "https://auth.example"})
    app.state.settings = strict  # type: ignore[attr-defined]
    try:
        good = issue_token(strict, "user-9")
        wrong_aud = _sign(strict, _claims(aud="other-api", iss="https://auth.example"))
        wrong_iss = _sign(strict, _claims(aud="ugc-api", iss="https://evil.example"))
        no_aud = _sign(strict, _claims(iss="https://auth.example"))
        for token in (wrong_aud, wrong_iss, no_aud):
            response = await api.get(USER_ROUTE, headers=bearer(token))
            assert response.status_code == 401, response.text
        assert (await api.get(USER_ROUTE, headers=bearer(good))).status_code == 404
    finally:
        app.state.settings = stack_settings  # type: ignore[attr-defined]


async def test_user_on_admin_route_is_403(api: httpx.AsyncClient, user_token: str) -> None:
    response = await api.post(ADMIN_ROUTE, headers=bearer(user_token), json={})
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "admin role required"}


async def test_valid_token_passes(api: httpx.AsyncClient, user_token: str) -> None:
    response = await api.get(USER_ROUTE, headers=bearer(user_token))
    assert response.status_code == 404  # authenticated; the workflow simply does not exist


def test_short_hmac_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Settings(_env_file=None, jwt_secret="too-short")
