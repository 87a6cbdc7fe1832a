"""Log lines say where they come from: workflow id, run id, activity and attempt inside activities (a real
worker on the session's Temporal), request id and route inside API requests (uvicorn over real HTTP)."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.worker import Worker

from telemetry.logs import ConsoleFormatter, JsonFormatter, configure_logging


@activity.defn
async def flaky_logging_activity(word: str) -> str:
    logging.getLogger("ugc.test.activity").info("working on %s", word)
    if activity.info().attempt == 1:
        raise RuntimeError("first attempt fails")
    return word


@workflow.defn
class LoggingWorkflow:
    @workflow.run
    async def run(self, word: str) -> str:
        workflow.logger.info("starting %s", word)
        return await workflow.execute_activity(
            flaky_logging_activity,
            word,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10)),
        )


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every record reaching the root logger, formatted as the JSON formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_activity_lines_carry_workflow_run_activity_and_attempt(
    temporal: Client, json_lines: io.StringIO
) -> None:
    queue = f"logs-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal, task_queue=queue, workflows=[LoggingWorkflow], activities=[flaky_logging_activity]):
        handle = await temporal.start_workflow(
            LoggingWorkflow.run, "hello", id=f"logs-{uuid.uuid4()}", task_queue=queue
        )
        assert await handle.result() == "hello"
    lines = _parsed(json_lines)
    working = [line for line in lines if line.get("logger") == "ugc.test.activity"]
    assert [line["attempt"] for line in working] == [1, 2]
    for line in working:
        assert line["message"] == "working on hello" and line["level"] == "INFO"
        assert line["workflow_id"] == handle.id and line["run_id"] == handle.result_run_id
        assert line["activity"] == "flaky_logging_activity" and line["task_queue"] == queue
    started = [line for line in lines if str(line.get("message", "")).startswith("starting hello")]
    assert started and started[0]["workflow_id"] == handle.id and started[0]["run_id"] == handle.result_run_id


def test_api_lines_carry_request_id_and_route(served_api: str, json_lines: io.StringIO) -> None:
    import httpx  # not at the top: this module is also loaded in the workflow sandbox

    creative_id = uuid.uuid4()
    given = httpx.get(f"{served_api}/api/v1/creatives/{creative_id}", headers={"X-Request-ID": "req-abc.123"})
    made = httpx.get(f"{served_api}/healthz", headers={"X-Request-ID": "not a sane id"})
    assert given.headers["x-request-id"] == "req-abc.123"
    assert made.headers["x-request-id"] != "not a sane id" and len(made.headers["x-request-id"]) == 32
    access = [line for line in _parsed(json_lines) if line.get("logger") == "uvicorn.access"]
    by_id = {line["request_id"]: line for line in access}
    assert by_id["req-abc.123"]["route"] == "/api/v1/creatives/{creative_id}"
    assert str(creative_id) in str(by_id["req-abc.123"]["message"])
    assert by_id[made.headers["x-request-id"]]["route"] == "/healthz"


def test_console_lines_on_a_terminal_json_otherwise() -> None:
    """configure_logging on a real pseudo-terminal, then on a pipe; the root logger is restored after."""
    root = logging.getLogger()
    saved_handlers, saved_level, saved_stderr = root.handlers[:], root.level, sys.stderr
    leader, follower = os.openpty()
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(follower, "w", closefd=False) as tty, os.fdopen(write_end, "w", closefd=False) as pipe:
            sys.stderr = tty
            configure_logging("auto")
            assert isinstance(root.handlers[0].formatter, ConsoleFormatter)
            sys.stderr = pipe
            configure_logging("auto")
            assert isinstance(root.handlers[0].formatter, JsonFormatter)
            configure_logging("console")
            assert isinstance(root.handlers[0].formatter, ConsoleFormatter)
    finally:
        sys.stderr = saved_stderr
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for fd in (leader, follower, read_end, write_end):
            os.close(fd)


def test_extra_fields_and_tracebacks_are_kept() -> None:
    record = logging.LogRecord("ugc.x", logging.ERROR, __file__, 1, "failed %s", ("upload",), None)
    record.creative_id = "c-1"
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert (
        line["message"] == "failed upload" and line["creative_id"] == "c-1" and "ValueError: boom" in line["exception"]
    )
    assert "creative_id=c-1" in ConsoleFormatter().format(record)
