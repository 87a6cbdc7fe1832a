import json
import logging
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import api.auth
from api.auth import MAX_TOKEN_LENGTH, decode_token, issue_token
from api.errors import UNAUTHORIZED_DETAIL, Unauthorized
from api.main import create_app
from settings import DEV_ENV_FILENAME, LOCAL_JWT_AUDIENCE, LOCAL_JWT_ISSUER, Settings
from tests.conftest import TEST_JWT_AUDIENCE, TEST_JWT_ISSUER, bearer

ADMIN_ROUTE = "/api/v1/benchmarks"
USER_ROUTE = "/api/v1/workflows/ingest-benchmark-does-not-exist"
UNAUTHORIZED_BODY = {"error": "unauthorized", "detail": UNAUTHORIZED_DETAIL}


def _sign(
    settings: Settings,
    claims: dict[str, object],
    key: str | None = None,
    alg: str = "HS256",
    headers: dict[str, object] | None = None,
) -> str:
    secret = key or (settings.jwt_secret.get_secret_value() if settings.jwt_secret else "")
    return jwt.encode(claims, secret, algorithm=alg, headers=headers)


def _sign_raw(settings: Settings, claims: dict[str, object]) -> str:
    # below jwt.encode, which refuses to produce some malformed claims (a non-string iss)
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    return jwt.PyJWS().encode(json.dumps(claims).encode(), secret, algorithm="HS256")


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "user-9",
        "iat": now,
        "exp": now + 600,
        "aud": TEST_JWT_AUDIENCE,
        "iss": TEST_JWT_ISSUER,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _unsigned(claims: dict[str, object]) -> str:
    return jwt.encode(claims, key="", algorithm="none")


def _rs256(claims: dict[str, object]) -> str:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return jwt.encode(claims, pem, algorithm="RS256")


BAD_TOKENS = {
    "garbage": lambda s: "not-a-jwt",
    "20 KB of garbage": lambda s: "A" * 20_000,
    "20 KB, validly signed": lambda s: _sign(s, _claims(pad="x" * 20_000)),
    "alg none": lambda s: _unsigned(_claims(roles=["admin"])),
    "alg switched to RS256": lambda s: _rs256(_claims(roles=["admin"])),
    "bad signature": lambda s: _sign(s, _claims(), key="x" * 40),
    "expired": lambda s: _sign(s, _claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
    "no exp": lambda s: _sign(s, _claims(exp=None)),
    "no sub": lambda s: _sign(s, _claims(sub=None)),
    "no iat": lambda s: _sign(s, _claims(iat=None)),
    "typ refresh+jwt": lambda s: _sign(s, _claims(), headers={"typ": "refresh+jwt"}),
    "typ id_token+jwt": lambda s: _sign(s, _claims(), headers={"typ": "application/id_token+JWT"}),
    "typ not a string": lambda s: _sign(s, _claims(), headers={"typ": ["JWT"]}),
    "unknown crit": lambda s: _sign(s, _claims(), headers={"crit": ["x-policy"], "x-policy": 1}),
    "crit b64 (understood by pyjwt, not by us)": lambda s: _sign(s, _claims(), headers={"crit": ["b64"], "b64": True}),
    "no aud": lambda s: _sign(s, _claims(aud=None)),
    "wrong aud": lambda s: _sign(s, _claims(aud="other-api")),
    "aud list incl. ours (strict_aud)": lambda s: _sign(s, _claims(aud=[TEST_JWT_AUDIENCE, "other-api"])),
    "aud list of ours only (strict_aud)": lambda s: _sign(s, _claims(aud=[TEST_JWT_AUDIENCE])),
    "aud a prefix of ours": lambda s: _sign(s, _claims(aud=TEST_JWT_AUDIENCE[:-1])),
    "no iss": lambda s: _sign(s, _claims(iss=None)),
    "wrong iss": lambda s: _sign(s, _claims(iss="https://evil.example")),
    "iss a prefix of ours": lambda s: _sign(s, _claims(iss="https://auth")),
    "iss a substring of ours": lambda s: _sign(s, _claims(iss="ugc-engine")),
    "iss one character": lambda s: _sign(s, _claims(iss="h")),
    "iss ours plus a suffix": lambda s: _sign(s, _claims(iss=TEST_JWT_ISSUER + ".evil.example")),
    "iss a list": lambda s: _sign_raw(s, _claims(iss=[TEST_JWT_ISSUER])),
    "roles not a list": lambda s: _sign(s, _claims(roles="admin")),
}


async def test_missing_token_is_the_generic_401(api: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        response = await api.get(USER_ROUTE, headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == UNAUTHORIZED_BODY
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_tokens_are_the_generic_401_and_never_echoed(
    api: httpx.AsyncClient, stack_settings: Settings, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = BAD_TOKENS[case](stack_settings)
    caplog.set_level(logging.DEBUG)
    for route, method in ((USER_ROUTE, "GET"), (ADMIN_ROUTE, "POST")):
        response = await api.request(method, route, headers=bearer(token), json={})
        assert response.status_code == 401, (case, route, response.text)
        assert response.json() == UNAUTHORIZED_BODY  # the same body whatever check failed
        assert response.headers["www-authenticate"] == "Bearer"
    assert token not in caplog.text
    assert "bearer token refused" in caplog.text  # the reason goes to the log, not to the caller


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt"])
async def test_accepted_token_types(api: httpx.AsyncClient, stack_settings: Settings, typ: str | None) -> None:
    # typ None: pyjwt leaves the header out
    token = _sign(stack_settings, _claims(), headers={"typ": typ})
    assert ("typ" in jwt.get_unverified_header(token)) is (typ is not None)
    response = await api.get(USER_ROUTE, headers=bearer(token))
    assert response.status_code == 404, response.text  # authenticated; the workflow does not exist


def test_issued_tokens_name_type_audience_and_issuer(stack_settings: Settings) -> None:
    token = issue_token(stack_settings, "user-1")
    assert jwt.get_unverified_header(token)["typ"] == "JWT"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["aud"], claims["iss"]) == (TEST_JWT_AUDIENCE, TEST_JWT_ISSUER)
    assert decode_token(token, stack_settings).id == "user-1"


def test_oversized_token_is_refused_before_any_parsing(
    stack_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    valid_but_long = _sign(stack_settings, _claims(pad="x" * 20_000))
    unpadded = len(_sign(stack_settings, _claims(pad="")))
    at_limit = _sign(stack_settings, _claims(pad="x" * ((MAX_TOKEN_LENGTH - unpadded) * 3 // 4 - 3)))
    assert len(valid_but_long) > MAX_TOKEN_LENGTH >= len(at_limit)
    assert decode_token(at_limit, stack_settings).id == "user-9"

    def _must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed an oversized token")

    for name in ("get_unverified_header", "decode", "decode_complete"):
        monkeypatch.setattr(api.auth.jwt, name, _must_not_run)
    for token in (valid_but_long, "A" * 20_000, "x" * (MAX_TOKEN_LENGTH + 1)):
        with pytest.raises(Unauthorized):
            decode_token(token, stack_settings)


async def test_two_users_reach_only_their_own_identity(api: httpx.AsyncClient, stack_settings: Settings) -> None:
    alice, bob = issue_token(stack_settings, "alice"), issue_token(stack_settings, "bob")
    assert decode_token(alice, stack_settings).id == "alice"
    assert decode_token(bob, stack_settings).id == "bob"
    # bob's token, re-signed for another audience, is worthless here
    foreign = _sign(stack_settings, _claims(sub="bob", aud="another-service"))
    assert (await api.get(USER_ROUTE, headers=bearer(foreign))).status_code == 401
    for token in (alice, bob):
        assert (await api.get(USER_ROUTE, headers=bearer(token))).status_code == 404


async def test_user_on_admin_route_is_403(api: httpx.AsyncClient, user_token: str, admin_token: str) -> None:
    response = await api.post(ADMIN_ROUTE, headers=bearer(user_token), json={})
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "admin role required"}
    # the admin gets past authorization (and fails on the empty body instead)
    assert (await api.post(ADMIN_ROUTE, headers=bearer(admin_token), json={})).status_code == 422


async def test_valid_token_passes(api: httpx.AsyncClient, user_token: str) -> None:
    response = await api.get(USER_ROUTE, headers=bearer(user_token))
    assert response.status_code == 404  # authenticated; the workflow simply does not exist


def test_short_hmac_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Settings(_env_file=None, jwt_secret="too-short")


@pytest.mark.parametrize(
    ("configured", "named"),
    [
        ({}, "JWT_AUDIENCE and JWT_ISSUER"),
        ({"jwt_audience": "ugc-api"}, "JWT_ISSUER"),
        ({"jwt_issuer": "https://auth.example"}, "JWT_AUDIENCE"),
        ({"jwt_audience": "", "jwt_issuer": ""}, "JWT_AUDIENCE and JWT_ISSUER"),
    ],
)
def test_api_refuses_to_start_without_audience_and_issuer(configured: dict[str, str], named: str) -> None:
    settings = Settings(_env_file=None, jwt_secret="s" * 40, **configured)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match=f"^{named} must be set"):
        create_app(settings)
    with pytest.raises(RuntimeError, match=named):
        issue_token(settings, "user-1")


def test_local_stack_writes_audience_and_issuer_beside_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devstack.runner import ensure_local_secrets

    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("JWT_SECRET", "JWT_AUDIENCE", "JWT_ISSUER", "JWT_ALGORITHM", "META_TOKEN_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    dev_env = tmp_path / "data" / DEV_ENV_FILENAME

    fresh = ensure_local_secrets(Settings())
    assert (fresh.jwt_audience, fresh.jwt_issuer) == (LOCAL_JWT_AUDIENCE, LOCAL_JWT_ISSUER)
    assert fresh.jwt_secret is not None
    assert dev_env.stat().st_mode & 0o777 == 0o600
    create_app(fresh)  # starts
    assert decode_token(issue_token(fresh, "dev"), fresh).id == "dev"
    assert ensure_local_secrets(fresh) == fresh  # idempotent: nothing rewritten
    assert dev_env.read_text().count("JWT_SECRET=") == 1

    # a dev.env from before aud/iss: the secret is kept, the two lines are added
    secret = "k" * 48
    dev_env.write_text(f"JWT_SECRET={secret}")
    upgraded = ensure_local_secrets(Settings())
    assert upgraded.jwt_secret is not None and upgraded.jwt_secret.get_secret_value() == secret
    assert (upgraded.jwt_audience, upgraded.jwt_issuer) == (LOCAL_JWT_AUDIENCE, LOCAL_JWT_ISSUER)
    lines = dev_env.read_text().splitlines()
    assert lines[:3] == [f"JWT_SECRET={secret}", f"JWT_AUDIENCE={LOCAL_JWT_AUDIENCE}", f"JWT_ISSUER={LOCAL_JWT_ISSUER}"]
    assert len(lines) == 4 and lines[3].startswith("META_TOKEN_KEY=")  # the key of the stored Meta tokens

    # configured values always win over dev.env
    monkeypatch.setenv("JWT_AUDIENCE", "ugc-api")
    monkeypatch.setenv("JWT_ISSUER", "https://auth.example")
    configured = ensure_local_secrets(Settings())
    assert (configured.jwt_audience, configured.jwt_issuer) == ("ugc-api", "https://auth.example")
