"""What the CLI does over HTTP: start an ingest through the API and follow its workflow to the end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

console = Console()
POLL_SECONDS = 0.5


class ApiError(RuntimeError):
    """The API refused a request; the message is its error body."""


def check(response: httpx.Response) -> Any:
    """The JSON body, or ApiError naming the request and carrying the API's error body."""
    if response.status_code >= 400:
        try:
            body = response.json()
            message = f"{body.get('error')}: {body.get('detail')}"
        except ValueError:
            message = response.text[:300]
        request = f"{response.request.method} {response.request.url.path}"
        raise ApiError(f"{request}: HTTP {response.status_code} {message}")
    return response.json()


def start_benchmark_ingest(
    client: httpx.Client, fields: dict[str, Any], *, url: str | None = None, file: Path | None = None
) -> dict[str, Any]:
    """POST /api/v1/benchmarks as JSON (URL) or multipart (file)."""
    if file is not None:
        with file.open("rb") as handle:
            form = {key: str(value) for key, value in fields.items() if value is not None}
            return check(client.post("/api/v1/benchmarks", data=form, files={"file": (file.name, handle)}))
    return check(client.post("/api/v1/benchmarks", json={**fields, "video_url": url}))


def wait_for_workflow(client: httpx.Client, workflow_id: str, timeout: float = 1800) -> dict[str, Any]:
    """Poll GET /api/v1/workflows/{id}, showing its progress, until it is no longer running."""
    deadline = time.monotonic() + timeout
    with console.status(f"{workflow_id}: starting") as status:
        while time.monotonic() < deadline:
            state = check(client.get(f"/api/v1/workflows/{workflow_id}"))
            if state["status"] != "RUNNING":
                return state
            status.update(f"{workflow_id}: {state.get('progress') or 'running'}")
            time.sleep(POLL_SECONDS)
    raise ApiError(f"{workflow_id} still running after {timeout:.0f}s (see the Temporal UI)")
