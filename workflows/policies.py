"""Every retry policy and timeout the workflows use, named by what they are for (one owner per preset).

Retrying a policy's activity is always safe: activities write by caller-made keys. Errors that retrying
cannot fix are raised non-retryable by the activities themselves; the type lists below are a second guard.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from activities.errors import NON_RETRYABLE_TYPES

# database reads and writes fail only for transient reasons (an outage, a failover): retry until it is back
RECORDS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=NON_RETRYABLE_TYPES,
)
RECORDS_TIMEOUT = timedelta(seconds=60)

# moving video bytes and FFmpeg reading them through storage: a storage restart takes a minute or two
MEDIA_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=8,
    non_retryable_error_types=NON_RETRYABLE_TYPES,
)
FETCH_TIMEOUT = timedelta(minutes=30)  # a 500 MB download from a slow origin
MEDIA_TIMEOUT = timedelta(minutes=10)  # a probe, the frames, or the local analyzer's full pass
CLIPS_TIMEOUT = timedelta(minutes=15)  # the shot pass decodes the whole video once
COPY_TIMEOUT = timedelta(seconds=60)  # a server-side copy or delete
MEDIA_HEARTBEAT = timedelta(seconds=60)

# Claude: 429/529 back off (a retry-after overrides the interval); MalformedAnswer is bounded inside
VISION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=8,
    non_retryable_error_types=[*NON_RETRYABLE_TYPES, "VisionRejected", "VisionNotConfigured"],
)
VISION_TIMEOUT = timedelta(minutes=3)

# rule-weight training: CPU work over the campaign results
TRAIN_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=5,
    non_retryable_error_types=NON_RETRYABLE_TYPES,
)
TRAIN_TIMEOUT = timedelta(minutes=10)

# a creative's analysis that failed after its activities' own retries (an outage outlasting them, a bad
# answer): tried again automatically after each of these waits, then only on its next trigger
ANALYSIS_RETRY_DELAYS = (timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6))

# Meta Graph calls: throttles wait for Meta's regain estimate (the failure's next_retry_delay overrides the
# interval); an expired token or a refused request is final (typed by ads/meta/errors.py)
META_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=30,
    non_retryable_error_types=[
        *NON_RETRYABLE_TYPES,
        "MetaTokenExpired",
        "MetaInvalidRequest",
        "AdAccountUnavailable",
        "TokenUnreadable",
    ],
)
META_CALL_TIMEOUT = timedelta(minutes=2)
META_UPLOAD_TIMEOUT = timedelta(hours=2)  # a 1 GB clip over a slow uplink
META_UPLOAD_HEARTBEAT = timedelta(seconds=60)
