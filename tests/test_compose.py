"""docker-compose.yml (no Docker engine runs here): valid against the compose-spec schema that
check-jsonschema vendors (as `make lint` checks it), and the production topology it promises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings import Settings

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"
APP_SERVICES = ("migrate", "worker", "api", "temporal-setup")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_valid_against_the_compose_spec_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_temporal_runs_from_its_server_image_with_an_admin_tools_schema_step(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert not [name for name, service in services.items() if "auto-setup" in str(service.get("image", ""))]
    assert services["temporal"]["image"].startswith("temporalio/server:")
    schema = services["temporal-schema"]
    assert schema["image"].startswith("temporalio/admin-tools:")
    script = "\n".join(schema["command"])
    assert "temporal-sql-tool" in script and "setup-schema" in script and "update-schema" in script
    assert "temporal_visibility" in script
    assert services["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    assert services["temporal-setup"]["command"] == ["ugc", "temporal-setup"]  # the search attributes


def test_the_app_waits_for_temporal_setup_and_checks_readiness(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("worker", "api"):
        depends = services[name]["depends_on"]
        assert depends["temporal-setup"]["condition"] == "service_completed_successfully"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert "/metrics" in " ".join(services["worker"]["healthcheck"]["test"])


def test_jwt_audience_and_issuer_are_required(compose: dict[str, Any]) -> None:
    for name in ("worker", "api"):
        environment = compose["services"][name]["environment"]
        for variable in ("JWT_AUDIENCE", "JWT_ISSUER"):
            assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]+\}}", environment[variable]), (name, variable)


def test_every_app_variable_is_a_setting_and_the_operations_ones_are_set(compose: dict[str, Any]) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for name in APP_SERVICES:
        unknown = set(compose["services"][name].get("environment", {})) - fields
        assert not unknown, f"{name}: {unknown} are not settings (settings.py)"
    for name in ("worker", "api"):
        environment = compose["services"][name]["environment"]
        assert environment["METRICS_HOST"] == "0.0.0.0" and environment["LOG_FORMAT"].endswith("json}")
        for variable in ("API_METRICS_PORT", "WORKER_METRICS_PORT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"):
            assert variable in environment, (name, variable)
