"""Saves finished workflow histories as replay fixtures: `pytest tests/e2e tests/workflows/record_histories.py`.

Run it (after the e2e tests, in the same session) whenever a workflow changes shape on purpose; the replay
test then proves later code still replays what earlier code recorded.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus

HISTORIES = Path(__file__).parent / "histories"
PER_TYPE = 4


async def test_record_histories(temporal: Client) -> None:
    kept: dict[str, int] = defaultdict(int)
    shapes: set[tuple[str, int]] = set()
    HISTORIES.mkdir(exist_ok=True)
    async for execution in temporal.list_workflows():
        # a running entity workflow's history so far replays as well as a finished one
        if execution.status == WorkflowExecutionStatus.TERMINATED:
            continue
        if kept[execution.workflow_type] >= PER_TYPE:
            continue
        history = await temporal.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        shape = (execution.workflow_type, len(history.events))
        if shape in shapes:  # one of each length: different paths through the workflow, not repeats
            continue
        shapes.add(shape)
        kept[execution.workflow_type] += 1
        name = f"{execution.workflow_type}-{kept[execution.workflow_type]}.json"
        (HISTORIES / name).write_text(history.to_json())
    assert kept, "no finished workflows to record: run the e2e tests first in the same session"
