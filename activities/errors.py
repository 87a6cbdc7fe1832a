"""Typed Temporal failures: the library's classified `Failure`s become ApplicationErrors in one place."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from domain.failures import Failure, InvalidInput, InvalidSource, InvalidVideo, VideoTooLarge

INVALID_VIDEO = InvalidVideo.kind
INVALID_SOURCE = InvalidSource.kind
VIDEO_TOO_LARGE = VideoTooLarge.kind
INVALID_INPUT = InvalidInput.kind

NON_RETRYABLE_TYPES = [INVALID_VIDEO, INVALID_SOURCE, VIDEO_TOO_LARGE, INVALID_INPUT]

P = ParamSpec("P")
R = TypeVar("R")


def application_error(failure: Failure) -> ApplicationError:
    """The Temporal form of a library failure: its kind as the type, retryable as the library judged it."""
    return ApplicationError(
        failure.message, type=failure.kind, non_retryable=not failure.retryable, next_retry_delay=failure.retry_after
    )


def typed_failures(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap an activity so a library `Failure` leaves it as a typed ApplicationError (`from None`: no chain)."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except Failure as failure:
            raise application_error(failure) from None

    return wrapper
