import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from devstack.process import free_port
from settings import Settings


async def test_readyz_reports_every_component_ok(api: httpx.AsyncClient) -> None:
    response = await api.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "components": {"database": "ok", "temporal": "ok", "s3": "ok"}}


async def _health_with(settings: Settings, path: str = "/readyz") -> httpx.Response:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)


@pytest.mark.parametrize(
    ("setting", "component"),
    [
        ("r2_endpoint_url", "s3"),
        ("temporal_address", "temporal"),
        ("database_url", "database"),
    ],
)
async def test_readyz_answers_503_naming_a_stopped_service(
    stack_settings: Settings, setting: str, component: str
) -> None:
    # nothing listens on a fresh free port: the same as the service being stopped
    dead = {
        "r2_endpoint_url": f"http://127.0.0.1:{free_port()}",
        "temporal_address": f"127.0.0.1:{free_port()}",
        "database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/ugc",
    }[setting]
    response = await _health_with(stack_settings.model_copy(update={setting: dead}))
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "service_unavailable"
    assert component in body["detail"]
    assert body["components"][component] != "ok"
    assert [name for name, status in body["components"].items() if status != "ok"] == [component]


async def test_healthz_is_liveness_alive_while_every_dependency_is_down(stack_settings: Settings) -> None:
    dead = stack_settings.model_copy(
        update={
            "r2_endpoint_url": f"http://127.0.0.1:{free_port()}",
            "temporal_address": f"127.0.0.1:{free_port()}",
            "database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/ugc",
        }
    )
    live = await _health_with(dead, "/healthz")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert (await _health_with(dead, "/readyz")).status_code == 503
