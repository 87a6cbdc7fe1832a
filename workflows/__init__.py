"""Deterministic orchestration only: one @workflow.defn class per file."""

from workflows.analyze_creative import AnalyzeCreativeWorkflow
from workflows.ingest_benchmark import IngestBenchmarkWorkflow

ALL_WORKFLOWS: list[type] = [IngestBenchmarkWorkflow, AnalyzeCreativeWorkflow]
