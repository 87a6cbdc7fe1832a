"""The typed Python client of the ugc-engine API: the function names of docs/contract/ over HTTP, async or not.

    from ugc_client import AsyncUgcClient

    async with AsyncUgcClient("http://127.0.0.1:8000", token) as ugc:
        started = await ugc.ingest_benchmark_video(video_url=..., creative_name=..., ...)
        state = await ugc.wait_for_workflow(started.workflow_id, on_progress=print)

Answers are the API's own models (models/schemas/); refusals are typed `UgcApiError`s.
"""

from ugc_client.client import AsyncUgcClient, UgcClient
from ugc_client.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    UgcApiError,
    UgcClientError,
    Unauthorized,
    UnsupportedMediaType,
    WorkflowFailed,
    WorkflowTimeout,
)

__all__ = [
    "AsyncUgcClient",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "UgcApiError",
    "UgcClient",
    "UgcClientError",
    "Unauthorized",
    "UnsupportedMediaType",
    "WorkflowFailed",
    "WorkflowTimeout",
]
