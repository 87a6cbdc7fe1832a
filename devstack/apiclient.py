"""The CLI's side of ugc_client: a client for the local stack, and waiting on a workflow with a spinner."""

from __future__ import annotations

import httpx
from rich.console import Console

from api.auth import issue_token
from models.schemas.common import WorkflowStatus
from settings import Settings
from ugc_client import UgcClient, UgcClientError

console = Console()

# what a command reports as "error: ..." and exits 1 on: the API refused, a wait ran out, or no API answered
CLIENT_ERRORS = (UgcClientError, httpx.HTTPError)


def local_client(
    settings: Settings, api_url: str | None = None, token: str | None = None, *, subject: str = "ugc-cli",
    admin: bool = True, timeout: float = 600,
) -> UgcClient:  # fmt: skip
    """A client of the API at `api_url` (default: the local one) with `token`, or one minted for `subject`."""
    url = api_url or f"http://{settings.api_host}:{settings.api_port}"
    return UgcClient(url, token or issue_token(settings, subject, admin=admin), timeout=timeout)


def wait_with_progress(client: UgcClient, workflow_id: str, timeout: float = 1800) -> WorkflowStatus:
    """Follow the workflow to its end, showing what it is doing (its `progress` query) meanwhile."""
    with console.status(f"{workflow_id}: starting") as status:
        return client.wait_for_workflow(
            workflow_id,
            on_progress=lambda state: status.update(f"{workflow_id}: {state.progress or 'running'}"),
            timeout=timeout,
        )
