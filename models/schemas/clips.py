"""Video assets and their candidate clips: uploads, PrepareClipsWorkflow's I/O, registered clips."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.clip_spread import DEFAULT_CANDIDATES
from domain.rules import ClipFeatures
from models.schemas.media import ProbeOutcome


class VideoAssetCreated(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                    "workflow_id": "clips-0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                }
            ]
        }
    )

    video_asset_id: uuid.UUID
    workflow_id: str


class ClipOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3c9e5a71-8b2d-4f60-a1e4-7d2b9c0f6e38",
                    "video_asset_id": "0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c",
                    "status": "READY",
                    "start_s": 0.0,
                    "end_s": 22.0,
                    "variant": "vertical",
                    "clip_key": "r2://client-assets/clips/0b7e1d7c-2f4a-4c1e-9a3b-5d6e7f8a9b0c/3c9e5a71-8b2d-4f60-a1e4-7d2b9c0f6e38.mp4",
                    "features": {
                        "duration_s": 22.0,
                        "width": 606,
                        "height": 1080,
                        "has_audio": True,
                        "cuts_per_5s": 2.1,
                        "dynamic_start": True,
                        "face_in_first_seconds": True,
                        "loudness_lufs": -15.1,
                    },
                    "failure_reason": None,
                }
            ]
        }
    )

    id: uuid.UUID
    video_asset_id: uuid.UUID
    status: str
    start_s: float
    end_s: float
    variant: str
    clip_key: str | None
    features: dict[str, Any]
    failure_reason: str | None


class ClipRegistration(BaseModel):
    """A clip cut by another tool, described by its features."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start_s": 0.0,
                    "end_s": 15.0,
                    "features": {
                        "duration_s": 15.0,
                        "width": 1080,
                        "height": 1920,
                        "has_audio": True,
                        "cuts_per_5s": 2.3,
                        "dynamic_start": True,
                        "face_in_first_seconds": True,
                        "loudness_lufs": -14.2,
                        "hook_type": "question",
                        "emotion": "curiosity",
                        "pacing": "fast",
                    },
                }
            ]
        }
    )

    clip_id: uuid.UUID | None = Field(None, description="leave out for a server-made id; an id in use is 409")
    start_s: float = Field(ge=0, le=86_400)
    end_s: float = Field(gt=0, le=86_400)
    features: ClipFeatures

    @model_validator(mode="after")
    def _span(self) -> ClipRegistration:
        if self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        return self


class PrepareClipsInput(BaseModel):
    video_asset_id: uuid.UUID
    video_key: str
    clips_bucket: str
    max_candidates: int = Field(DEFAULT_CANDIDATES, ge=1)


class ShotsInput(BaseModel):
    video_key: str
    # set: the pass also plans up to this many candidates from the whole video (runs before that planned none)
    max_candidates: int | None = None


class CandidateClip(BaseModel):
    """A span the shot pass chose to cut, in one framing, and why."""

    start_s: float
    end_s: float
    vertical_crop: bool
    reason: str


class ShotsOutput(BaseModel):
    duration_s: float
    cut_times_s: list[float]
    width: int
    height: int
    candidates: list[CandidateClip] | None = None


class CutClipInput(BaseModel):
    video_asset_id: uuid.UUID
    clip_id: uuid.UUID
    video_key: str
    clips_bucket: str
    start_s: float
    end_s: float
    vertical_crop: bool


class CutClipOutput(BaseModel):
    clip_key: str
    features: ClipFeatures


class AssetProbeInput(ProbeOutcome):
    video_asset_id: uuid.UUID


class ClipRecordInput(BaseModel):
    clip_id: uuid.UUID
    video_asset_id: uuid.UUID
    status: Literal["PENDING", "READY", "FAILED"]
    start_s: float
    end_s: float
    variant: str
    clip_key: str | None = None
    features: ClipFeatures | None = None
    failure_reason: str | None = None


class FinishAssetInput(BaseModel):
    video_asset_id: uuid.UUID
    ready: int
    failed: int


class PrepareClipsOutput(BaseModel):
    video_asset_id: uuid.UUID
    clips_ready: int
    clips_failed: int
