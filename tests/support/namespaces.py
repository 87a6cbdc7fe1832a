"""A Temporal namespace of a test's own on the session's server: its workers poll nobody else's tasks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.service import RPCError

from clients import connect_temporal
from settings import Settings
from workflows.search_attributes import register_search_attributes


async def new_namespace(settings: Settings, name: str) -> Settings:
    """Register `name`, wait until it serves, add the search attributes; settings pointing at it."""
    client = await connect_temporal(settings)
    retention = Duration(seconds=int(timedelta(days=1).total_seconds()))
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period=retention)
    )
    for _ in range(100):
        try:
            await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=name))
            break
        except RPCError:
            await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"namespace {name} never became available")
    scoped = settings.model_copy(update={"temporal_namespace": name})
    await register_search_attributes(await connect_temporal(scoped))
    return scoped
