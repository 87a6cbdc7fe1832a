"""/docs and /redoc work offline: every asset they load is served by the API itself; the Authorize button
takes a bearer token; the schema carries examples."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

import models.schemas
from api.main import create_app
from settings import Settings

# src/href attributes and url(...)/url: '...' values in the page
_REFERENCES = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*[:(]\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def docs_app() -> FastAPI:
    # the pages and the schema need no backing service: the app is built, its lifespan never run
    return create_app(Settings(_env_file=None, jwt_secret="d" * 40, jwt_audience="docs", jwt_issuer="docs"))


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.get(path)


def _references(html: str) -> list[str]:
    return [src or url for src, url in _REFERENCES.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_doc_pages_load_only_same_origin_assets(docs_app: FastAPI, page: str) -> None:
    response = await _get(docs_app, page)
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"(?:https?:)?//[A-Za-z0-9]", html), "the page names another host"
    references = _references(html)
    assert "/openapi.json" in references or "/openapi.json" in html
    assets = [ref for ref in references if ref.startswith("/static/")]
    assert assets, references
    for asset in assets:
        served = await _get(docs_app, asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000, asset


async def test_swagger_ui_assets_are_the_real_bundle(docs_app: FastAPI) -> None:
    js = await _get(docs_app, "/static/docs/swagger-ui-bundle.js")
    css = await _get(docs_app, "/static/docs/swagger-ui.css")
    redoc = await _get(docs_app, "/static/docs/redoc.standalone.js")
    assert "SwaggerUIBundle" in js.text and js.headers["content-type"].startswith(("text/javascript", "application/"))
    assert ".swagger-ui" in css.text
    assert "redoc" in redoc.text.lower()
    redirect = await _get(docs_app, "/docs/oauth2-redirect")
    assert redirect.status_code == 200


async def test_authorize_button_takes_a_bearer_token(docs_app: FastAPI) -> None:
    schema = (await _get(docs_app, "/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["HTTPBearer"].items()
    secured = [
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if {"HTTPBearer": []} in operation.get("security", [])
    ]
    assert ("get", "/api/v1/creatives/video-access/{creative_id}") in secured
    assert ("post", "/api/v1/benchmarks") in secured


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _has_example(media: dict[str, Any], components: dict[str, Any]) -> bool:
    """An example on the media type, on its schema, on the schema it refers to, or on every variant / item."""
    if "example" in media or "examples" in media:
        return True
    schema = _resolve(media.get("schema", {}), components)
    if "example" in schema or "examples" in schema:
        return True
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        return all(_has_example({"schema": variant}, components) for variant in variants)
    if schema.get("type") == "array" and "items" in schema:
        return _has_example({"schema": schema["items"]}, components)
    return False


async def test_every_operation_has_request_and_response_examples(docs_app: FastAPI) -> None:
    schema = (await _get(docs_app, "/openapi.json")).json()
    components = schema["components"]["schemas"]
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            for content_type, media in body.items():
                # a multipart upload is a form of fields and a file in Swagger UI, not a JSON example
                if content_type != "multipart/form-data" and not _has_example(media, components):
                    missing.append(f"{method.upper()} {path} request ({content_type})")
            answers = {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}
            assert answers, f"{method.upper()} {path} documents no success answer"
            for code, answer in answers.items():
                for content_type, media in answer.get("content", {}).items():
                    if not _has_example(media, components):
                        missing.append(f"{method.upper()} {path} {code} ({content_type})")
    assert not missing, "no example for:\n" + "\n".join(missing)


def test_every_schema_example_is_valid_for_its_model() -> None:
    """An example that drifts from its model fails here, not in a reader's hands."""
    checked = 0
    for module_info in pkgutil.iter_modules(models.schemas.__path__):
        module = importlib.import_module(f"models.schemas.{module_info.name}")
        for model in vars(module).values():
            if not (inspect.isclass(model) and issubclass(model, BaseModel) and model.__module__ == module.__name__):
                continue
            extra = model.model_config.get("json_schema_extra")
            examples = extra.get("examples", []) if isinstance(extra, dict) else []
            for example in examples if isinstance(examples, list) else []:
                model.model_validate(example)
                checked += 1
    assert checked >= 25
