"""The worker's Temporal runtime: the SDK's own Prometheus exporter on WORKER_METRICS_PORT, which also serves
the domain counters recorded in activities and workflows (telemetry.metrics)."""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from settings import Settings


def worker_runtime(settings: Settings) -> Runtime | None:
    """A runtime exporting metrics, or None (the default runtime, no metrics) when WORKER_METRICS_PORT is 0."""
    if not settings.worker_metrics_port:
        return None
    prometheus = PrometheusConfig(
        bind_address=f"{settings.metrics_host}:{settings.worker_metrics_port}",
        counters_total_suffix=True,  # `_total` as Prometheus names counters, like the API's prometheus-client
        durations_as_seconds=True,  # latencies in seconds (the SDK's default is milliseconds)
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))
