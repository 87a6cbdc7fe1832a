"""Saves PublishCampaignWorkflow / SyncInsightsWorkflow histories as new replay fixtures, never overwriting one:
`pytest tests/e2e/test_meta_publish.py tests/e2e/test_meta_sync.py tests/workflows/record_meta_histories.py`."""

from __future__ import annotations

from temporalio.client import Client, WorkflowExecutionStatus

from tests.workflows.record_histories import HISTORIES

TYPES = {"PublishCampaignWorkflow", "SyncInsightsWorkflow"}
STATUS_NAMES = {WorkflowExecutionStatus.COMPLETED: "completed", WorkflowExecutionStatus.FAILED: "failed"}


async def test_record_meta_histories(temporal: Client) -> None:
    saved = 0
    async for execution in temporal.list_workflows():
        kind = STATUS_NAMES.get(execution.status) if execution.status else None
        if execution.workflow_type not in TYPES or kind is None:
            continue
        path = HISTORIES / f"{execution.workflow_type}-{kind}.json"
        if path.exists():
            continue
        history = await temporal.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        path.write_text(history.to_json())
        saved += 1
    assert saved or any(HISTORIES.glob("PublishCampaignWorkflow-*.json"))
