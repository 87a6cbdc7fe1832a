"""AnalysisRecordsActivities: the database side of creative analysis (status, probe, results)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.records import probe_columns
from domain.tags import insight_tags, known
from models.schemas.analysis import AnalysisStatusInput, ApplyAnalysisInput, ProbeResultInput
from models.schemas.common import Done
from models.tables import Creative, CreativeAnalysis, PatternPerformance


class AnalysisRecordsActivities:
    """Writes for AnalyzeCreativeWorkflow; each is a plain UPDATE keyed by id, so retries are harmless."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    @activity.defn
    async def set_analysis_status(self, params: AnalysisStatusInput) -> Done:
        values: dict[str, object] = {"analysis_status": params.analysis_status}
        if params.analysis_status == "failed":
            values["failure_reason"] = params.reason
        async with self.sessionmaker.begin() as session:
            await session.execute(update(Creative).where(Creative.id == params.creative_id).values(**values))
        return Done()

    @activity.defn
    async def record_probe(self, params: ProbeResultInput) -> Done:
        """A client video's probe: its facts and `ready`, or `failed` with the reason."""
        if params.probe is None:
            values: dict[str, object] = {
                "status": "failed",
                "failure_reason": params.reason,
                "analysis_status": "failed",
            }
        else:
            values = {**probe_columns(params.probe), "size_bytes": params.probe.size_bytes}
        async with self.sessionmaker.begin() as session:
            await session.execute(update(Creative).where(Creative.id == params.creative_id).values(**values))
        return Done()

    @activity.defn
    async def apply_analysis(self, params: ApplyAnalysisInput) -> Done:
        """Tags and pattern labels onto the creative and its pattern rows; the analysis row gets its tags."""
        insights = params.insights
        tags = insight_tags(insights)
        async with self.sessionmaker.begin() as session:
            creative = await session.scalar(select(Creative).where(Creative.id == params.creative_id).with_for_update())
            if creative is None:
                return Done()
            # a benchmark's labels were given by the person who picked it: analysis only fills gaps
            for field in ("hook_type", "emotion", "pacing", "target_audience_pain"):
                found = known(getattr(insights, field))
                if found and (not creative.is_benchmark or not getattr(creative, field)):
                    setattr(creative, field, found)
            user_tags = [tag for tag in creative.tags or [] if ":" not in tag]
            creative.tags = sorted(set(user_tags) | set(tags))
            creative.analysis_status = "analyzed"
            creative.failure_reason = None
            await session.execute(
                update(CreativeAnalysis).where(CreativeAnalysis.id == params.analysis_id).values(tags=tags)
            )
            await session.execute(
                update(PatternPerformance)
                .where(PatternPerformance.creative_id == creative.id)
                .values(hook_type=creative.hook_type, emotion=creative.emotion, pacing=creative.pacing)
            )
        return Done()
