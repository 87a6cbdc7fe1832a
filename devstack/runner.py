"""`ugc up`: the embedded stack, migrations, worker and API as child processes, supervised, stopped together."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import httpx
from rich.console import Console
from rich.panel import Panel

from devstack.process import ManagedProcess, StackError, log_tail
from devstack.stack import DevStack
from devstack.supervisor import Supervisor
from models.migrate import upgrade_head
from settings import DEV_ENV_FILENAME, Settings, load_settings

console = Console()
SEEDED_MARKER = "seeded"
LOCAL_URL_FETCH_ALLOWED_HOSTS = "127.0.0.1,localhost"
# the metrics ports `ugc up` gives its API and worker unless API_METRICS_PORT / WORKER_METRICS_PORT are set
UP_METRICS_PORTS = {"api_metrics_port": 9101, "worker_metrics_port": 9102}


def ensure_local_secrets(settings: Settings) -> Settings:
    """Write what the local stack's tokens need into .data/dev.env (0600) once, each unless configured:
    a generated JWT secret (HS256), the local audience and issuer, and a key for the stored Meta tokens
    (added to an older dev.env too)."""
    from settings import LOCAL_JWT_AUDIENCE, LOCAL_JWT_ISSUER

    wanted: dict[str, str] = {}
    if settings.jwt_secret is None and settings.jwt_algorithm == "HS256":
        wanted["JWT_SECRET"] = secrets.token_urlsafe(48)
    if settings.jwt_audience is None:
        wanted["JWT_AUDIENCE"] = LOCAL_JWT_AUDIENCE
    if settings.jwt_issuer is None:
        wanted["JWT_ISSUER"] = LOCAL_JWT_ISSUER
    if settings.meta_token_key is None:  # encrypts the ad accounts' Meta tokens at rest
        from cryptography.fernet import Fernet

        wanted["META_TOKEN_KEY"] = Fernet.generate_key().decode()
    path = settings.data_dir / DEV_ENV_FILENAME
    existing = path.read_text() if path.exists() else ""
    present = {line.partition("=")[0].strip() for line in existing.splitlines() if line.partition("=")[2].strip()}
    missing = {name: value for name, value in wanted.items() if name not in present}
    if not missing:
        return load_settings() if wanted else settings
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)  # before the secret is written
    separator = "\n" if existing and not existing.endswith("\n") else ""
    path.write_text(existing + separator + "".join(f"{name}={value}\n" for name, value in missing.items()))
    return load_settings()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _api_healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run_up(settings: Settings, *, headless: bool, seed: Callable[[Settings, str], None] | None) -> int:
    """Bring everything up, print where to look, wait for Ctrl-C/SIGTERM, stop everything."""
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # both stop everything; SIGINT is reset because a shell may start background jobs with it ignored
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    settings = ensure_local_secrets(settings)
    unset = {name: port for name, port in UP_METRICS_PORTS.items() if name not in settings.model_fields_set}
    settings = settings.model_copy(update=unset)
    stack = DevStack(settings, headless=headless)
    children: list[ManagedProcess] = []
    logs = settings.data_dir.resolve() / "logs"
    api_url = f"http://{settings.api_host}:{settings.api_port}"
    try:
        with console.status("starting Temporal, PostgreSQL and S3 ..."):
            env = stack.start()
        resolved = settings.model_copy(update={k.lower(): v for k, v in env.items()})
        with console.status("migrating the database ..."):
            upgrade_head(resolved.database_url or "")
        # video URLs on this machine (a local file server) are fetched; set URL_FETCH_ALLOWED_HOSTS to change it
        child_env = {
            "URL_FETCH_ALLOWED_HOSTS": LOCAL_URL_FETCH_ALLOWED_HOSTS, **os.environ, **env,
            **{name.upper(): str(port) for name, port in unset.items()},
        }  # fmt: skip
        worker = ManagedProcess("worker", [sys.executable, "-m", "worker"], logs / "worker.log", child_env)
        api = ManagedProcess(
            "API",
            [sys.executable, "-m", "uvicorn", "api.main:serve_app", "--factory",
             "--host", settings.api_host, "--port", str(settings.api_port)],
            logs / "api.log",
            child_env,
        )  # fmt: skip
        for child in (worker, api):
            child.start()
            children.append(child)
        with console.status("waiting for the API ..."):
            api.wait_ready(lambda: _api_healthy(api_url), timeout=90)
        marker = settings.data_dir / SEEDED_MARKER
        if seed is not None and not marker.exists():
            seed(resolved, api_url)
            marker.touch()
        _print_banner(settings, api_url, headless, logs)
        failed = Supervisor([*stack.supervised(), *children], console).run()
        console.print(f"[red]{failed.name} keeps stopping[/]; last lines of {failed.log_path}:")
        console.print(log_tail(failed.log_path), markup=False, highlight=False)
        return 1
    except KeyboardInterrupt:
        console.print("\nstopping ...")
        return 0
    except StackError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    finally:
        for child in reversed(children):
            child.stop(grace=settings.worker_graceful_shutdown_seconds + 5)
        stack.stop()
        console.print("all services stopped")


def _metrics_lines(settings: Settings) -> list[str]:
    ports = (("API", settings.api_metrics_port), ("worker", settings.worker_metrics_port))
    urls = [f"http://{settings.metrics_host}:{port}/metrics ({name})" for name, port in ports if port]
    return [f"Metrics       {url}" if i == 0 else f"              {url}" for i, url in enumerate(urls)]


def _print_banner(settings: Settings, api_url: str, headless: bool, logs: Path) -> None:
    ui = "(headless)" if headless else f"http://127.0.0.1:{settings.temporal_ui_port}"
    if settings.temporal_address:
        ui = "(external Temporal: see its own UI)"
    lines = [
        f"API           {api_url}",
        f"API docs      {api_url}/docs",
        f"Temporal UI   {ui}",
        f"Logs          {logs}",
        *_metrics_lines(settings),
        f"Meta Graph    {settings.meta_graph_url or f'http://127.0.0.1:{settings.meta_fake_port} (local fake)'}",
        "",
        "admin token:  ugc token --sub me --admin",
        "Ctrl-C stops everything.",
    ]
    console.print(Panel("\n".join(lines), title="ugc-engine is up", expand=False))
