"""Histories recorded by earlier code still replay: a change to a workflow that would break running ones fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.catalog import ALL_WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
RECORDED = {path: path.read_text() for path in HISTORIES}


def test_every_workflow_has_a_recorded_history() -> None:
    recorded = {path.name.rsplit("-", 1)[0] for path in HISTORIES}
    assert recorded >= {workflow.__name__ for workflow in ALL_WORKFLOWS}


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, RECORDED[path])
    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
