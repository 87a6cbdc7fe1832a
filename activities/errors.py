"""Typed, non-retryable failures: retrying cannot fix these inputs."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

INVALID_VIDEO = "InvalidVideo"
INVALID_SOURCE = "InvalidSource"
VIDEO_TOO_LARGE = "VideoTooLarge"
INVALID_INPUT = "InvalidInput"

NON_RETRYABLE_TYPES = [INVALID_VIDEO, INVALID_SOURCE, VIDEO_TOO_LARGE, INVALID_INPUT]


def invalid_video(reason: str) -> ApplicationError:
    return ApplicationError(reason, type=INVALID_VIDEO, non_retryable=True)


def invalid_source(reason: str) -> ApplicationError:
    return ApplicationError(reason, type=INVALID_SOURCE, non_retryable=True)


def too_large(limit_bytes: int) -> ApplicationError:
    return ApplicationError(
        f"video is larger than the {limit_bytes // (1024 * 1024)} MB limit",
        type=VIDEO_TOO_LARGE,
        non_retryable=True,
    )
