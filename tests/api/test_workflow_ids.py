"""GET /api/v1/workflows/{id}: a malformed or over-long id is a 422 before Temporal is asked, never a 500."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.routes.workflows import MAX_WORKFLOW_ID_LENGTH
from tests.conftest import bearer


@pytest.mark.parametrize(
    "workflow_id",
    [
        "has space",
        "-leading-dash",
        "nul%00byte",
        "cr%C3%A9ative-1",  # é
        "semi;colon",
        "a" * (MAX_WORKFLOW_ID_LENGTH + 1),
        "x" * 5000,
    ],
)
async def test_malformed_workflow_id_is_422(api: httpx.AsyncClient, admin_token: str, workflow_id: str) -> None:
    response = await api.get(f"/api/v1/workflows/{workflow_id}", headers=bearer(admin_token))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_input"
    assert body["detail"][0]["field"] == "workflow_id"


@pytest.mark.parametrize(
    "workflow_id",
    [
        f"creative-{uuid.uuid4()}",
        f"orchestrate-{uuid.uuid4()}-req_1.a",
        "train-rules-scheduled-2026-01-01T03:00:00Z",
        "a" * MAX_WORKFLOW_ID_LENGTH,
    ],
)
async def test_well_formed_unknown_workflow_id_is_404(
    api: httpx.AsyncClient, admin_token: str, workflow_id: str
) -> None:
    response = await api.get(f"/api/v1/workflows/{workflow_id}", headers=bearer(admin_token))
    assert response.status_code == 404, response.text
    assert response.json() == {"error": "not_found", "detail": "no such workflow"}
