"""Uploads: the fields a creative or a video asset is made with, and the direct-to-storage upload flow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Purpose = Literal["creative", "video_asset"]
MAX_TAGS_TEXT = 1000


class CreativeUploadFields(BaseModel):
    """A client creative's fields (form fields of POST /api/v1/creatives)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    creative_name: str = Field(min_length=1, max_length=200)
    product_category: str = Field(min_length=1, max_length=100)
    tags: list[str] = Field(default_factory=list, description="a list, or one comma-separated string")

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_list(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, list):
            value = ",".join(str(tag) for tag in value)
        if not isinstance(value, str):
            return value  # pydantic names the wrong type
        text = value
        if len(text) > MAX_TAGS_TEXT:
            raise ValueError(f"tags are limited to {MAX_TAGS_TEXT} characters")
        return sorted({tag.strip().lower() for tag in text.split(",") if tag.strip()})


class VideoAssetUploadFields(BaseModel):
    """A video asset's fields (form fields of POST /api/v1/video-assets)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    product_category: str | None = Field(None, max_length=100)

    @field_validator("product_category")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class _DirectUpload(BaseModel):
    filename: str = Field(min_length=1, max_length=500, description="kept as the original name, never in a key")
    size_bytes: int = Field(ge=1, description="the file's exact size; at most MAX_VIDEO_BYTES")


class StartCreativeUpload(_DirectUpload, CreativeUploadFields):
    purpose: Literal["creative"]


class StartVideoAssetUpload(_DirectUpload, VideoAssetUploadFields):
    purpose: Literal["video_asset"]


StartUpload = Annotated[StartCreativeUpload | StartVideoAssetUpload, Field(discriminator="purpose")]


class UploadPartUrl(BaseModel):
    part_number: int
    url: str  # a presigned PUT: send the part's bytes as the body, with no Authorization header


class UploadStarted(BaseModel):
    upload_id: uuid.UUID
    purpose: Purpose
    size_bytes: int
    part_size: int  # every part but the last is exactly this long
    expires_at: datetime
    parts: list[UploadPartUrl]


class CompletedPart(BaseModel):
    part_number: int = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=200)


class CompleteUpload(BaseModel):
    """The ETags the part PUTs answered; when given they must match what the store holds."""

    parts: list[CompletedPart] | None = Field(None, max_length=10_000)


class UploadCompleted(BaseModel):
    upload_id: uuid.UUID
    purpose: Purpose
    creative_id: uuid.UUID | None = None
    video_asset_id: uuid.UUID | None = None
    workflow_id: str
