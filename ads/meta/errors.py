"""Graph API error bodies mapped by code/subcode to failures that say whether (and when) a retry helps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ads.meta.usage import Usage
from domain.failures import Failure

# Meta's rate-limit codes: app (4), user (17), API/page (32, 613) and the business-use-case range
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TOKEN_CODES = frozenset({190})  # invalid, expired or revoked access token
INVALID_PARAMETER = 100


class MetaError(Failure):
    """A Graph API call failed; `code`/`subcode` are Meta's, kept for the operator."""

    kind = "MetaError"

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        fbtrace_id: str | None = None,
        retry_after: timedelta | None = None,
        retryable: bool | None = None,
    ):
        super().__init__(message, retry_after=retry_after, retryable=retryable)
        self.code = code
        self.subcode = subcode
        self.fbtrace_id = fbtrace_id


class MetaThrottled(MetaError):
    """A rate limit: wait for the time Meta says access comes back, then try again."""

    kind = "MetaThrottled"
    retryable = True


class MetaTransient(MetaError):
    """Meta said the error is transient (`is_transient`), or answered 5xx, or the connection failed."""

    kind = "MetaTransient"
    retryable = True


class MetaTokenExpired(MetaError):
    """The ad account's token is invalid or expired: only reconnecting the account can fix it."""

    kind = "MetaTokenExpired"


class MetaInvalidRequest(MetaError):
    """Meta refused the request itself (validation, permissions): retrying the same request cannot help."""

    kind = "MetaInvalidRequest"


NON_RETRYABLE_META_TYPES = [MetaTokenExpired.kind, MetaInvalidRequest.kind]

# a throttled answer without a regain estimate still waits this long, so a retry does not hit the same wall
DEFAULT_THROTTLE_DELAY = timedelta(seconds=60)


def graph_error(
    status: int, body: Any, usage: Usage, *, min_throttle_delay: timedelta = DEFAULT_THROTTLE_DELAY
) -> MetaError:
    """The failure a non-2xx Graph answer means, judged by its error code first and its HTTP status second."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        message = f"Meta answered HTTP {status} without an error body"
        if status >= 500 or status == 429:
            return MetaTransient(message, retry_after=usage.regain_delay())
        return MetaInvalidRequest(message)
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    text = str(error.get("error_user_msg") or error.get("message") or "Meta refused the request")
    trace = error.get("fbtrace_id")
    fields: dict[str, Any] = {"code": code, "subcode": subcode, "fbtrace_id": str(trace) if trace else None}
    message = f"{text} (Meta error {code}{f'/{subcode}' if subcode else ''})"
    if code in THROTTLE_CODES:
        delay = max(usage.regain_delay() or timedelta(0), min_throttle_delay)
        return MetaThrottled(message, retry_after=delay, **fields)
    if code in TOKEN_CODES:
        return MetaTokenExpired(message, **fields)
    if error.get("is_transient") is True or code in {1, 2} or status >= 500:
        # codes 1 and 2 are Meta's "unknown error"/"service temporarily unavailable"
        return MetaTransient(message, retry_after=usage.regain_delay(), **fields)
    return MetaInvalidRequest(message, **fields)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
