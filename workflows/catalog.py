"""Every workflow the worker registers (kept out of the package __init__ so that importing
`workflows.queues` stays light for a transfer-only worker)."""

from workflows.analyze_creative import AnalyzeCreativeWorkflow
from workflows.ingest_benchmark import IngestBenchmarkWorkflow
from workflows.orchestrate_campaigns import OrchestrateCampaignsWorkflow
from workflows.prepare_clips import PrepareClipsWorkflow
from workflows.publish_campaign import PublishCampaignWorkflow
from workflows.sync_insights import SyncInsightsWorkflow
from workflows.train_rules import TrainRulesWorkflow

ALL_WORKFLOWS: list[type] = [
    IngestBenchmarkWorkflow,
    AnalyzeCreativeWorkflow,
    PrepareClipsWorkflow,
    OrchestrateCampaignsWorkflow,
    TrainRulesWorkflow,
    PublishCampaignWorkflow,
    SyncInsightsWorkflow,
]
