"""OpenTelemetry tracing: one trace from the HTTP request through the workflow to each activity. Spans are
exported (OTLP over HTTP) only when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise no provider is installed
and the instrumentation left in place (the Temporal interceptor) works on OpenTelemetry's no-op tracer."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from opentelemetry import trace
from temporalio.contrib.opentelemetry import TracingInterceptor

if TYPE_CHECKING:
    from fastapi import FastAPI

    from settings import Settings

_lock = threading.Lock()


def configure_tracing(settings: Settings, service: str) -> bool:
    """Install the OTLP-exporting provider once per process when an endpoint is set; whether tracing is on."""
    with _lock:
        if settings.otel_exporter_otlp_endpoint and not tracing_active():
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            endpoint = f"{settings.otel_exporter_otlp_endpoint.rstrip('/')}/v1/traces"
            provider = TracerProvider(resource=Resource.create({"service.name": settings.otel_service_name or service}))
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
            trace.set_tracer_provider(provider)
    return tracing_active()


def tracing_active() -> bool:
    """A real (SDK) tracer provider is installed: by configure_tracing, or by a test's in-memory exporter."""
    from opentelemetry.sdk.trace import TracerProvider

    return isinstance(trace.get_tracer_provider(), TracerProvider)


def temporal_interceptors() -> list[TracingInterceptor]:
    """For every Temporal client (its workers inherit them): spans for start, run, signal, query, activity.
    Its tracer follows the global provider, so a provider installed later is used from then on."""
    return [TracingInterceptor()]


def flush_traces() -> None:
    """Export what is buffered (at shutdown)."""
    provider = trace.get_tracer_provider()
    force_flush = getattr(provider, "force_flush", None)
    if force_flush is not None:
        force_flush()


def instrument_api(app: FastAPI) -> None:
    """HTTP server spans (route template as the name) when tracing is on; nothing is added otherwise."""
    if not tracing_active():
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
