"""Structured logs: one JSON object a line (readable lines on a terminal), each carrying what it ran in:
workflow id, run id, activity and attempt inside an activity; request id and route inside an API request."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("ugc_request_id", default=None)
# the request's ASGI scope: the router adds the matched route to it, so a line logged after routing names it
REQUEST_SCOPE: contextvars.ContextVar[MutableMapping[str, Any] | None] = contextvars.ContextVar(
    "ugc_scope", default=None
)

# LogRecord attributes of the logging module itself; anything else on a record was passed in `extra`
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def context_fields() -> dict[str, Any]:
    """Where this line is logged from: the running activity, or the API request."""
    fields: dict[str, Any] = {}
    if activity.in_activity():
        info = activity.info()
        fields |= {
            "workflow_id": info.workflow_id,
            "run_id": info.workflow_run_id,
            "workflow_type": info.workflow_type,
            "activity": info.activity_type,
            "activity_id": info.activity_id,
            "attempt": info.attempt,
            "task_queue": info.task_queue,
        }
    if (request_id := REQUEST_ID.get()) is not None:
        scope = REQUEST_SCOPE.get() or {}
        fields |= {"request_id": request_id, "route": getattr(scope.get("route"), "path", None)}
    return fields


def _record_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = context_fields()
    # the SDK's workflow.logger / activity.logger pass their context as `temporal_workflow` / `temporal_activity`
    temporal = getattr(record, "temporal_workflow", None)
    if isinstance(temporal, dict):
        fields.setdefault("workflow_id", temporal.get("workflow_id"))
        fields.setdefault("run_id", temporal.get("run_id"))
        fields.setdefault("workflow_type", temporal.get("workflow_type"))
    for name, value in record.__dict__.items():
        if name not in _STANDARD and not name.startswith("temporal_") and name not in fields:
            fields[name] = value
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context fields, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= _record_fields(record)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class ConsoleFormatter(logging.Formatter):
    """The same fields as `key=value` after a plain line, for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {key: value for key, value in _record_fields(record).items() if value is not None}
        return f"{text} " + " ".join(f"{key}={value}" for key, value in fields.items()) if fields else text


def configure_logging(log_format: str = "auto", level: str = "INFO") -> None:
    """The root logger's one handler on stderr: JSON lines unless `console`, or `auto` on a terminal."""
    console = log_format == "console" or (log_format == "auto" and sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ConsoleFormatter() if console else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # their default config has handlers of its own
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
