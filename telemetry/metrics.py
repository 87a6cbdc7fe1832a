"""Every metric the project defines, named once. Domain counters record where they are called: inside an
activity or a workflow on the Temporal runtime's meter, so the worker's one Prometheus port (the SDK's
exporter, WORKER_METRICS_PORT) serves them beside the SDK's own series, with the activity or workflow type
as a label and (in workflows) nothing counted twice on replay; anywhere else (the API) on prometheus-client's
registry, served on API_METRICS_PORT. Either way a counter named `ugc_x` is scraped as `ugc_x_total`."""

from __future__ import annotations

from dataclasses import dataclass, field

import prometheus_client
from temporalio import activity, workflow


@dataclass
class DomainCounter:
    """A monotonic count with a fixed label set (keep label values few: no ids)."""

    name: str
    description: str
    labels: tuple[str, ...] = ()
    _local: prometheus_client.Counter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # made at once: the API's port lists every domain counter (HELP and TYPE) before its first count
        self._local = prometheus_client.Counter(self.name, self.description, self.labels)

    def add(self, value: int = 1, **labels: str) -> None:
        """Count `value` (≥ 0) with exactly the declared labels."""
        if set(labels) != set(self.labels):
            raise ValueError(f"{self.name} takes labels {self.labels}, got {tuple(labels)}")
        if value <= 0:
            return
        if activity.in_activity():
            meter = activity.metric_meter()
        elif workflow.in_workflow():
            meter = workflow.metric_meter()  # a no-op while replaying
        else:
            self._local.labels(**labels).inc(value)
            return
        meter.create_counter(self.name, self.description).add(value, labels)


INGESTS = DomainCounter("ugc_ingests", "benchmark ingests finished, by outcome (published, refused)", ("outcome",))
ANALYSES = DomainCounter(
    "ugc_analyses", "creative analyses finished, by backend (anthropic, local) and outcome", ("backend", "outcome")
)
CLAUDE_TOKENS = DomainCounter(
    "ugc_claude_tokens", "Claude tokens paid for, by model and kind (input, output)", ("model", "kind")
)
CLAUDE_COST = DomainCounter(
    "ugc_claude_cost_microdollars", "estimated Claude spend in millionths of a US dollar, by model", ("model",)
)
CLIPS_CUT = DomainCounter("ugc_clips_cut", "candidate clips cut, by outcome (ready, failed)", ("outcome",))
BYTES_MOVED = DomainCounter(
    "ugc_bytes_moved", "video bytes written to object storage, by path (url_fetch, api_upload)", ("path",)
)
META_CALLS = DomainCounter(
    "ugc_meta_calls", "Graph API calls, by operation and outcome (ok, error, throttled)", ("operation", "outcome")
)
META_THROTTLES = DomainCounter(
    "ugc_meta_throttles", "Graph API calls paced or refused for rate limits, by operation", ("operation",)
)

DOMAIN_COUNTERS = (INGESTS, ANALYSES, CLAUDE_TOKENS, CLAUDE_COST, CLIPS_CUT, BYTES_MOVED, META_CALLS, META_THROTTLES)

# the API's own: route is the template (/api/v1/creatives/{creative_id}), never the raw path
HTTP_REQUESTS = prometheus_client.Counter(
    "ugc_http_requests", "HTTP requests answered, by method, route template and status", ("method", "route", "status")
)
HTTP_LATENCY = prometheus_client.Histogram(
    "ugc_http_request_duration_seconds",
    "time to answer an HTTP request, by method and route template",
    ("method", "route"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def claude_cost_microdollars(input_tokens: int, output_tokens: int, usd_per_mtok: tuple[float, float]) -> int:
    """The estimated price of one call (input and output prices per million tokens), in micro-dollars."""
    input_price, output_price = usd_per_mtok
    return round(input_tokens * input_price + output_tokens * output_price)
