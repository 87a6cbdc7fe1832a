"""What the API hands to analysis workflows from its settings (no secrets: inputs live in history)."""

from __future__ import annotations

import uuid

from models.schemas.analysis import AnalysisOptions, AnalyzeCreativeInput
from settings import Settings


def analysis_options(settings: Settings) -> AnalysisOptions:
    return AnalysisOptions(
        frame_timestamps=settings.frame_timestamps,
        frame_max_edge=settings.frame_max_edge,
        idle_timeout_seconds=settings.analysis_idle_timeout_seconds,
    )


def analysis_input(
    settings: Settings,
    creative_id: uuid.UUID,
    *,
    is_benchmark: bool,
    video_key: str,
    probed: bool,
    conversions: int,
) -> AnalyzeCreativeInput:
    return AnalyzeCreativeInput(
        creative_id=creative_id,
        is_benchmark=is_benchmark,
        video_key=video_key,
        frames_bucket=settings.r2_client_assets_bucket,
        vision_backend=settings.resolved_vision_backend,
        options=analysis_options(settings),
        probed=probed,
        conversions=conversions,
    )
