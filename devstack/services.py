"""How each embedded service is launched and recognised as ready."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

import httpx
import psutil

from devstack.process import ManagedProcess, StackError, free_port, port_open
from workflows.search_attributes import dev_server_flags

if TYPE_CHECKING:
    from pgserver import PostgresServer


def venv_binary(name: str) -> str:
    """A console binary installed by a PyPI package next to this interpreter (or on PATH)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise StackError(f"`{name}` is not installed; run `make install` (it comes from PyPI)")
    return found


def temporal_process(data_dir: Path, port: int, ui_port: int, namespace: str, headless: bool) -> ManagedProcess:
    argv = [
        venv_binary("temporal"), "server", "start-dev",
        "--db-filename", str(data_dir / "temporal.db"),
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--http-port", str(free_port()),
        "--metrics-port", str(free_port()),
        "--namespace", namespace,
        "--log-level", "warn",
        *dev_server_flags(),
    ]  # fmt: skip
    argv += ["--headless"] if headless else ["--ui-port", str(ui_port), "--ui-ip", "127.0.0.1"]
    return ManagedProcess("Temporal", argv, data_dir / "logs" / "temporal.log")


def temporal_ready(port: int, ui_port: int | None) -> bool:
    return port_open(port) and (ui_port is None or port_open(ui_port))


@dataclass
class WeedPorts:
    """Every port `weed mini` opens; pinned so nothing lands on a default that may be taken."""

    s3: int
    others: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fixed(cls, s3_port: int) -> WeedPorts:
        """Stable ports for `make run` (a restart finds the same topology), from a base of s3_port."""
        names = _WEED_PORT_FLAGS
        base = 20000 + (s3_port % 1000) * 16 if s3_port + len(names) > 65535 else s3_port + 1000
        return cls(s3_port, {flag: base + i for i, flag in enumerate(names)})

    @classmethod
    def free(cls, s3_port: int) -> WeedPorts:
        return cls(s3_port, {flag: free_port() for flag in _WEED_PORT_FLAGS})


_WEED_PORT_FLAGS = [
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "admin.port", "admin.port.grpc",
    "webdav.port",
]  # fmt: skip


def write_s3_identities(path: Path, access_key: str, secret_key: str, public_bucket: str) -> None:
    """The app's key may do everything; anonymous callers may only read the public bucket."""
    config = {
        "identities": [
            {
                "name": "ugc-app",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {"name": "anonymous", "actions": [f"Read:{public_bucket}"]},
        ]
    }
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)


def s3_process(data_dir: Path, ports: WeedPorts, identities: Path) -> ManagedProcess:
    store = data_dir / "s3"
    store.mkdir(parents=True, exist_ok=True)
    argv = [
        venv_binary("weed"), "mini",
        f"-dir={store}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.port={ports.s3}",
        f"-s3.config={identities}",
        "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
        "-master.volumeSizeLimitMB=256",
    ]  # fmt: skip
    argv += [f"-{flag}={port}" for flag, port in ports.others.items()]
    return ManagedProcess("S3 (SeaweedFS)", argv, data_dir / "logs" / "s3.log")


def s3_ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1.0).status_code < 500
    except httpx.HTTPError:
        return False


class EmbeddedPostgres:
    """pgserver's PostgreSQL 16 on a Unix socket in the data directory (it drops root itself).

    pgserver starts the postmaster with `pg_ctl` (so it is no child of ours): `running()` checks the
    process it recorded, and `restart()` starts it again on the same data directory and socket.
    """

    name = "PostgreSQL (pgserver)"

    def __init__(self, data_dir: Path, database: str = "ugc"):
        self.pgdata = data_dir / "postgres"
        self.log_path = self.pgdata / "log"
        self.database = database
        self._server: PostgresServer | None = None
        self._restarted = False

    def start(self) -> str:
        import pgserver

        self.pgdata.mkdir(parents=True, exist_ok=True)
        try:
            server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        except Exception as exc:
            raise StackError(f"{self.name} failed to start: {exc}; log: {self.log_path}") from exc
        self._server = server
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';")
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{self.database}";')
        socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
        return f"postgresql+asyncpg://postgres@/{self.database}?host={socket_dir}"

    @property
    def pid(self) -> int | None:
        return None if self._server is None else self._server.get_pid()

    def running(self) -> bool:
        return self._server is not None and _alive(self._server.get_postmaster_info().process)

    def exit_code(self) -> int | None:
        return None  # not our child: its exit status went to whoever reaps it

    def restart(self) -> None:
        """pg_ctl start on the same data directory; its socket directory is derived from it, so unchanged."""
        if self._server is None:
            raise StackError(f"{self.name} was never started")
        self._restarted = True
        dead = self._server.get_postmaster_info().process
        if dead is not None:
            # pgserver takes a zombie (killed, not yet reaped by init) for a running server: wait it out
            with contextlib.suppress(psutil.Error):
                dead.wait(5)
        try:
            self._server.ensure_pgdata_inited()  # as root: lets its user reach the data directory again
            self._server.ensure_postgres_running()
        except subprocess.CalledProcessError as exc:
            raise StackError(f"pg_ctl exited with code {exc.returncode}") from exc
        except Exception as exc:  # pg_ctl's TimeoutExpired, an assertion in pgserver
            raise StackError(repr(exc)) from exc
        if not self.running():
            raise StackError("the postmaster is still not running")

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.cleanup()
        self._server = None
        if self._restarted:  # a restart cut short (Ctrl-C during pg_ctl) may leave one pgserver never saw
            self._stop_unknown_postmaster()

    def _stop_unknown_postmaster(self) -> None:
        from pgserver.utils import PostmasterInfo

        postmaster = PostmasterInfo.read_from_pgdata(self.pgdata)
        if postmaster is not None and postmaster.process is not None and _alive(postmaster.process):
            with contextlib.suppress(psutil.Error):
                postmaster.process.send_signal(signal.SIGINT)  # fast shutdown
                try:
                    postmaster.process.wait(15)
                except psutil.TimeoutExpired:
                    postmaster.process.kill()


def _alive(process: psutil.Process | None) -> bool:
    """Running and not a zombie (an orphan killed with -9 may linger as one until init reaps it)."""
    try:
        return process is not None and process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
