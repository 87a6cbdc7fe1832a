"""Clients built once from settings (worker main, API lifespan, CLI) and closed by their owner."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import aioboto3
from botocore.config import Config
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from settings import Settings
from workflows.queues import TASK_QUEUE_MAIN, TASK_QUEUE_MEDIA

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

__all__ = ["TASK_QUEUE_MAIN", "TASK_QUEUE_MEDIA", "connect_temporal", "require", "s3_client"]


def require(value: str | None, name: str) -> str:
    if not value:
        raise RuntimeError(f"{name} is not set; start the embedded stack with `ugc up` or set {name}")
    return value


async def connect_temporal(settings: Settings, runtime: Runtime | None = None) -> Client:
    """The one way every part of the project talks to Temporal (pydantic payloads, tracing interceptor)."""
    from telemetry.tracing import temporal_interceptors

    return await Client.connect(
        require(settings.temporal_address, "TEMPORAL_ADDRESS"),
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        interceptors=temporal_interceptors(),
        runtime=runtime,  # the worker's exports metrics; None: the SDK's default runtime
    )


def s3_config(max_attempts: int = 1) -> Config:
    # R2 rejects the newer default checksum headers; Temporal owns retries (one attempt here)
    return Config(
        signature_version="s3v4",
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": max_attempts, "mode": "standard"},
        s3={"addressing_style": "path"},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=32,
    )


def s3_client(settings: Settings) -> AbstractAsyncContextManager[S3Client]:
    """An aioboto3 S3 client context for the configured endpoint (R2 or the embedded SeaweedFS)."""
    session = aioboto3.Session()
    return session.client(  # type: ignore[call-overload]
        "s3",
        endpoint_url=require(settings.r2_endpoint_url, "R2_ENDPOINT_URL"),
        aws_access_key_id=settings.r2_access_key_id,
        aws_secret_access_key=settings.r2_secret_access_key.get_secret_value(),
        region_name=settings.r2_region,
        config=s3_config(),
    )
