"""Failures the libraries classify by cause; activities turn them into Temporal errors (activities/errors.py)."""

from __future__ import annotations

from datetime import timedelta


class Failure(Exception):
    """A failure whose kind (the Temporal error type) says whether a retry can help, and when to try."""

    kind = "Failure"
    retryable = False

    def __init__(self, message: str, *, retry_after: timedelta | None = None, retryable: bool | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable


class InvalidVideo(Failure):
    """A property of the video itself (not a video, truncated, too big to decode): retrying cannot help."""

    kind = "InvalidVideo"


class InvalidSource(Failure):
    """The URL or origin refuses, or is refused, for good."""

    kind = "InvalidSource"


class ShotPassMissing(Failure):
    """A clip was asked of a video whose shot pass left nothing to cut it from: the clips must be prepared again."""

    kind = "ShotPassMissing"


class VideoTooLarge(Failure):
    kind = "VideoTooLarge"


class InvalidInput(Failure):
    kind = "InvalidInput"


class SourceUnavailable(Failure):
    """Storage, the network or an origin failed for now (5xx, reset, timeout): the next attempt may work."""

    kind = "SourceUnavailable"
    retryable = True


def too_large(limit_bytes: int) -> VideoTooLarge:
    return VideoTooLarge(f"video is larger than the {limit_bytes // (1024 * 1024)} MB limit")
