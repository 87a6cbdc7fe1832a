"""Typed errors: one class per status of the API's `{"error": ..., "detail": ...}` answers."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from models.schemas.common import WorkflowStatus


class UgcClientError(Exception):
    """Anything this client raises on its own account (an API refusal or a wait that ran out)."""


class UgcApiError(UgcClientError):
    """The API answered with an error; `error` is its stable code, `detail` its explanation."""

    def __init__(
        self, status: int, error: str, detail: Any, *, retry_after: float | None = None, request: str = ""
    ) -> None:
        self.status = status
        self.error = error
        self.detail = detail
        self.retry_after = retry_after  # seconds, from a Retry-After header (429, 503)
        self.request = request  # "METHOD /path", for messages
        super().__init__(f"{request}: HTTP {status} {error}: {detail}" if request else f"HTTP {status} {error}")


class Unauthorized(UgcApiError):
    """401: the token is missing, invalid or expired."""


class Forbidden(UgcApiError):
    """403: signed in, but the route needs the admin role."""


class NotFound(UgcApiError):
    """404: missing, or another user's (the API answers both the same)."""


class Conflict(UgcApiError):
    """409: the object's state refuses the action (e.g. force-analyzing a refused video)."""


class PayloadTooLarge(UgcApiError):
    """413: the upload is over MAX_VIDEO_BYTES."""


class UnsupportedMediaType(UgcApiError):
    """415: the upload is not a video (judged by its bytes), or the body is neither JSON nor multipart."""


class InvalidInput(UgcApiError):
    """422: `detail` lists `{"field", "message"}` problems."""


class RateLimited(UgcApiError):
    """429: try again after `retry_after` seconds (None when the API did not say)."""


class ServiceUnavailable(UgcApiError):
    """503: the database, Temporal or S3 is unreachable; `retry_after` when the API said when."""


_BY_STATUS: dict[int, type[UgcApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: InvalidInput,
    429: RateLimited,
    503: ServiceUnavailable,
}


class WorkflowTimeout(UgcClientError, TimeoutError):
    """A workflow was still running when `wait_for_workflow`'s timeout ran out."""

    def __init__(self, workflow_id: str, timeout: float, last: WorkflowStatus) -> None:
        self.workflow_id = workflow_id
        self.last = last
        super().__init__(f"{workflow_id} still running after {timeout:.0f}s (see the Temporal UI)")


class WorkflowFailed(UgcClientError):
    """A workflow the API handed back as still running (202) ended without completing."""

    def __init__(self, last: WorkflowStatus) -> None:
        self.last = last
        reason = (last.failure or {}).get("message") or last.status
        super().__init__(f"{last.workflow_id} ended {last.status}: {reason}")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def api_error(response: httpx.Response) -> UgcApiError | None:
    """The typed error for an error answer, None for a success."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" in body:
        error, detail = str(body["error"]), body.get("detail")
    else:  # not the API's shape (a proxy in between, say): keep what it said
        error, detail = "http_error", response.text[:300]
    kind = _BY_STATUS.get(response.status_code, UgcApiError)
    return kind(
        response.status_code,
        error,
        detail,
        retry_after=_retry_after(response.headers.get("retry-after")),
        request=f"{response.request.method} {response.request.url.path}",
    )
