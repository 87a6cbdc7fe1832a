"""Shared shapes: text fields, empty answers, workflow handles and performance reports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

ShortText = Annotated[str, Field(min_length=1, max_length=200)]


Label = Annotated[str, Field(min_length=1, max_length=100)]


class Done(BaseModel):
    """An activity's empty answer (kept a model so fields can be added)."""

    ok: bool = True


class WorkflowStarted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "creative_id": "0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21",
                    "workflow_id": "creative-0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21",
                }
            ]
        }
    )

    creative_id: uuid.UUID
    workflow_id: str


class WorkflowStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": "ingest-benchmark-6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10",
                    "run_id": "0193a1f2-7c4e-7b10-9d2a-5e6f7a8b9c0d",
                    "workflow_type": "IngestBenchmarkWorkflow",
                    "status": "COMPLETED",
                    "progress": None,
                    "result": {"creative_id": "6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10", "status": "ready"},
                    "failure": None,
                }
            ]
        }
    )

    workflow_id: str
    run_id: str | None
    workflow_type: str
    status: str
    progress: str | None = None  # what a running workflow is doing now
    result: Any | None = None
    failure: dict[str, Any] | None = None


class WorkflowSignalled(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"workflow_id": "creative-6f1c0a52-3d2e-4f7b-9a51-0c8e2b7d4a10"}]}
    )

    workflow_id: str


# one report covers a day or so of one ad: a billion impressions is already far beyond any real one
MAX_EVENT_COUNT = 10**9


class ReportTotals(BaseModel):
    """A thing's running totals after a performance report (a creative's or a campaign's)."""

    counted: bool  # false when this event_id was already counted
    impressions: int
    clicks: int
    conversions: int


class PerformanceReport(BaseModel):
    """Deltas since the last report; `event_id` makes a retried report count once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"event_id": "2026-11-30-tiktok-ad-7", "impressions": 1200, "clicks": 48, "conversions": 3}]
        }
    )

    event_id: Annotated[str, Field(min_length=1, max_length=200)]
    impressions: int = Field(0, ge=0, le=MAX_EVENT_COUNT)
    clicks: int = Field(0, ge=0, le=MAX_EVENT_COUNT)
    conversions: int = Field(0, ge=0, le=MAX_EVENT_COUNT)

    @model_validator(mode="after")
    def _funnel(self) -> PerformanceReport:
        # every conversion was a click and every click an impression: anything else is a broken or hostile report
        if self.clicks > self.impressions:
            raise ValueError(f"clicks ({self.clicks}) cannot exceed impressions ({self.impressions})")
        if self.conversions > self.clicks:
            raise ValueError(f"conversions ({self.conversions}) cannot exceed clicks ({self.clicks})")
        return self
