"""Deterministic orchestration only: one @workflow.defn class per file."""

from workflows.analyze_creative import AnalyzeCreativeWorkflow
from workflows.ingest_benchmark import IngestBenchmarkWorkflow
from workflows.orchestrate_campaigns import OrchestrateCampaignsWorkflow
from workflows.prepare_clips import PrepareClipsWorkflow
from workflows.train_rules import TrainRulesWorkflow

ALL_WORKFLOWS: list[type] = [
    IngestBenchmarkWorkflow,
    AnalyzeCreativeWorkflow,
    PrepareClipsWorkflow,
    OrchestrateCampaignsWorkflow,
    TrainRulesWorkflow,
]
