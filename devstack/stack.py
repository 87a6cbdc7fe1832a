"""Starts the embedded services that the settings leave unconfigured, and stops all it started."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.process import ManagedProcess, StackError, free_port, port_open
from devstack.services import (
    EmbeddedPostgres,
    WeedPorts,
    s3_process,
    s3_ready,
    temporal_process,
    temporal_ready,
    write_s3_identities,
)
from devstack.supervisor import Supervised
from settings import Settings

__all__ = ["DevStack", "StackError"]

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 90.0


@dataclass
class DevStack:
    """The embedded stack. `start()` returns the environment that points the app at it."""

    settings: Settings
    headless: bool = False
    free_ports: bool = False  # tests: every internal port picked free so nothing collides
    started: list[ManagedProcess] = field(default_factory=list)
    postgres: EmbeddedPostgres | None = None

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir.resolve()

    def start(self) -> dict[str, str]:
        """Start what is not configured; on any failure stop what already started and re-raise."""
        env: dict[str, str] = {}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            if not self.settings.temporal_address:
                env["TEMPORAL_ADDRESS"] = self._start_temporal()
            if not self.settings.database_url:
                self.postgres = EmbeddedPostgres(self.data_dir)
                env["DATABASE_URL"] = self.postgres.start()
            if not self.settings.r2_endpoint_url:
                env["R2_ENDPOINT_URL"] = self._start_s3()
            if not self.settings.meta_graph_url:
                env["META_GRAPH_URL"] = self._start_fake_meta()
        except BaseException:
            self.stop()
            raise
        return env

    def supervised(self) -> list[Supervised]:
        """What this stack started itself (a service configured by URL is someone else's to keep up)."""
        return [*self.started, *([self.postgres] if self.postgres is not None else [])]

    def _start_temporal(self) -> str:
        s = self.settings
        proc = temporal_process(self.data_dir, s.temporal_port, s.temporal_ui_port, s.temporal_namespace, self.headless)
        ports = {"temporal_port": s.temporal_port} | ({} if self.headless else {"temporal_ui_port": s.temporal_ui_port})
        self._launch(
            proc,
            lambda: temporal_ready(s.temporal_port, None if self.headless else s.temporal_ui_port),
            ports,
        )
        return f"127.0.0.1:{s.temporal_port}"

    def _start_s3(self) -> str:
        s = self.settings
        identities = self.data_dir / "s3-identities.json"
        write_s3_identities(
            identities,
            s.r2_access_key_id,
            s.r2_secret_access_key.get_secret_value(),
            s.r2_market_benchmarks_bucket,
        )
        ports = WeedPorts.free(s.s3_port) if self.free_ports else WeedPorts.fixed(s.s3_port)
        self._launch(s3_process(self.data_dir, ports, identities), lambda: s3_ready(s.s3_port), {"s3_port": s.s3_port})
        endpoint = f"http://127.0.0.1:{s.s3_port}"
        self._create_buckets(endpoint)
        return endpoint

    def _start_fake_meta(self) -> str:
        """The local Graph API fake (devstack/fake_meta.py), so publishing and syncing work offline."""
        from devstack.fake_meta import fake_meta_process

        port = free_port() if self.free_ports else self.settings.meta_fake_port
        self._launch(fake_meta_process(self.data_dir, port), lambda: port_open(port), {"meta_fake_port": port})
        return f"http://127.0.0.1:{port}"

    def _launch(self, proc: ManagedProcess, is_ready: object, ports: dict[str, int]) -> None:
        for setting, port in ports.items():
            if port_open(port):
                raise StackError(
                    f"{proc.name}: port {port} is already in use (another `ugc up`?); "
                    f"stop it or set {setting.upper()} to a free port"
                )
        log.info("starting %s (log: %s)", proc.name, proc.log_path)
        proc.start()
        self.started.append(proc)
        proc.wait_ready(is_ready, READY_TIMEOUT_SECONDS)  # type: ignore[arg-type]

    def _create_buckets(self, endpoint: str) -> None:
        s = self.settings
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=s.r2_access_key_id,
            aws_secret_access_key=s.r2_secret_access_key.get_secret_value(),
            region_name=s.r2_region,
            config=Config(signature_version="s3v4", retries={"max_attempts": 10, "mode": "standard"}),
        )
        for bucket in (s.r2_market_benchmarks_bucket, s.r2_client_assets_bucket):
            try:
                client.create_bucket(Bucket=bucket)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise StackError(f"S3 (SeaweedFS) refused to create bucket {bucket}: {exc}") from exc

    def stop(self) -> None:
        """Stop everything this stack started, newest first."""
        for proc in reversed(self.started):
            log.info("stopping %s", proc.name)
            proc.stop()
        self.started.clear()
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
