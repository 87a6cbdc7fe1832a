"""JWT checks (pyjwt, RFC 8725): bounded size, explicit `typ`, no `crit`, pinned algorithm, required
exp/iat/sub/aud/iss with aud and iss checked exactly, roles claim. Every refusal is the same 401."""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from typing import Any

import jwt

from api.errors import Unauthorized
from settings import HMAC_ALGORITHMS, Settings

log = logging.getLogger(__name__)

ADMIN_ROLE = "admin"
# A token this service issues is ~300 bytes and an IdP's access token a few KB; anything longer is
# refused before it is parsed, so the size of the work an unauthenticated caller causes is bounded.
MAX_TOKEN_LENGTH = 8 * 1024
# `typ` (RFC 8725 §3.11): absent, a plain JWT, or an OAuth access token (RFC 9068), compared
# case-insensitively with the optional "application/" prefix removed (RFC 7515 §4.1.9). Any other
# type (`refresh+jwt`, `id_token+jwt`, `secevent+jwt`, ...) is a token meant for something else.
ACCEPTED_TOKEN_TYPES = frozenset({"jwt", "at+jwt"})
ISSUED_TOKEN_TYPE = "JWT"  # not `at+jwt`: these tokens do not carry RFC 9068's client_id and jti
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]


@dataclass(frozen=True)
class User:
    """The authenticated caller."""

    id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


def _refused(reason: str) -> Unauthorized:
    # the reason is for whoever runs the service; the token itself is never logged
    log.debug("bearer token refused: %s", reason)
    return Unauthorized()


def _header_problem(header: dict[str, Any]) -> str | None:
    """Why this (not yet verified) header is refused, or None."""
    if "typ" in header:
        typ = header["typ"]
        if not isinstance(typ, str) or typ.lower().removeprefix("application/") not in ACCEPTED_TOKEN_TYPES:
            return "typ not accepted"
    if "crit" in header:
        # this service implements no JWS extension (RFC 7515 §4.1.11: a recipient MUST refuse a
        # critical one it does not understand); also refused where pyjwt would accept `b64`
        return "crit header"
    return None


@functools.lru_cache(maxsize=4)
def _verification_key(algorithm: str, material: str) -> Any:
    """The key parsed once per (algorithm, key): parsing a PEM public key on every request cost ~50 µs of ~230."""
    return jwt.get_algorithm_by_name(algorithm).prepare_key(material)


def decode_token(token: str, settings: Settings) -> User:
    """Verify a bearer token; every problem is the same 401, whose body never repeats the token."""
    if len(token) > MAX_TOKEN_LENGTH:  # before any parsing or crypto
        raise _refused("longer than MAX_TOKEN_LENGTH")
    audience, issuer = settings.require_jwt_claims_config()
    try:
        problem = _header_problem(jwt.get_unverified_header(token))
        if problem is not None:
            raise _refused(problem)
        claims = jwt.decode(
            token,
            key=_verification_key(settings.jwt_algorithm, settings.require_jwt_verification_key()),
            algorithms=[settings.jwt_algorithm],  # pinned: `alg: none` or a switched alg is refused
            audience=audience,
            issuer=issuer,  # a str: compared with ==, never as a substring (pyjwt >= 2.10.1)
            leeway=settings.jwt_leeway_seconds,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},  # aud: exactly our one string
        )
    except jwt.InvalidTokenError as exc:
        raise _refused(type(exc).__name__) from None
    subject = claims.get("sub")
    roles = claims.get("roles", [])
    if not isinstance(subject, str) or not subject or not isinstance(roles, list):
        raise _refused("sub or roles malformed")
    return User(id=subject, roles=frozenset(str(role) for role in roles))


def issue_token(settings: Settings, subject: str, *, admin: bool = False, ttl_seconds: int = 3600) -> str:
    """A token signed with the configured key (local use: `ugc token`, tests, the demo)."""
    audience, issuer = settings.require_jwt_claims_config()
    now = int(time.time())
    claims: dict[str, object] = {"sub": subject, "iat": now, "exp": now + ttl_seconds, "aud": audience, "iss": issuer}
    if admin:
        claims["roles"] = [ADMIN_ROLE]
    if settings.jwt_algorithm in HMAC_ALGORITHMS:
        key = settings.require_jwt_verification_key()
    elif settings.jwt_private_key is not None:
        key = settings.jwt_private_key.get_secret_value()
    else:
        raise RuntimeError(f"JWT_PRIVATE_KEY is needed to sign {settings.jwt_algorithm} tokens")
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm, headers={"typ": ISSUED_TOKEN_TYPE})
