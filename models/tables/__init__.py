"""The ORM tables (SQLAlchemy 2.0, `Mapped[...]`), docs/DESIGN.md §7, one module per feature; schema changes
go through Alembic. Importing this package registers every table on `Base.metadata`."""

from models.tables.ads import AdAccount, AdInsightDay
from models.tables.base import NAMING_CONVENTION, Base, JsonB
from models.tables.campaigns import (
    BestClipDecision,
    Campaign,
    CampaignPerformanceEvent,
    Clip,
    RuleWeights,
    SocialSyncLedger,
    VideoAsset,
)
from models.tables.creatives import Creative, CreativeAnalysis, PatternPerformance, PerformanceEvent
from models.tables.uploads import UploadSession, UsageCounter

__all__ = [
    "NAMING_CONVENTION",
    "AdAccount",
    "AdInsightDay",
    "Base",
    "BestClipDecision",
    "Campaign",
    "CampaignPerformanceEvent",
    "Clip",
    "Creative",
    "CreativeAnalysis",
    "JsonB",
    "PatternPerformance",
    "PerformanceEvent",
    "RuleWeights",
    "SocialSyncLedger",
    "UploadSession",
    "UsageCounter",
    "VideoAsset",
]  # fmt: skip
