"""JWT checks (pyjwt): pinned algorithm, required exp/iat/sub, aud/iss when configured, roles claim."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from api.errors import Unauthorized
from settings import HMAC_ALGORITHMS, Settings

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class User:
    """The authenticated caller."""

    id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


def decode_token(token: str, settings: Settings) -> User:
    """Verify a bearer token; any problem is a 401 whose message never repeats the token."""
    try:
        claims = jwt.decode(
            token,
            key=settings.require_jwt_verification_key(),
            algorithms=[settings.jwt_algorithm],  # pinned: `alg: none` or a switched alg is refused
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            options={
                "require": ["exp", "iat", "sub"],
                "verify_aud": settings.jwt_audience is not None,
                "verify_iss": settings.jwt_issuer is not None,
            },
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"token lacks the '{exc.claim}' claim") from None
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
        raise Unauthorized("token not issued for this service") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid token") from None
    subject = claims.get("sub")
    roles = claims.get("roles", [])
    if not isinstance(subject, str) or not subject or not isinstance(roles, list):
        raise Unauthorized("invalid token")
    return User(id=subject, roles=frozenset(str(role) for role in roles))


def issue_token(settings: Settings, subject: str, *, admin: bool = False, ttl_seconds: int = 3600) -> str:
    """A token signed with the configured key (local use: `ugc token`, tests, the demo)."""
    now = int(time.time())
    claims: dict[str, object] = {"sub": subject, "iat": now, "exp": now + ttl_seconds}
    if admin:
        claims["roles"] = [ADMIN_ROLE]
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_algorithm in HMAC_ALGORITHMS:
        key = settings.require_jwt_verification_key()
    elif settings.jwt_private_key is not None:
        key = settings.jwt_private_key.get_secret_value()
    else:
        raise RuntimeError(f"JWT_PRIVATE_KEY is needed to sign {settings.jwt_algorithm} tokens")
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm)
