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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "purpose": "creative",
                    "creative_name": "Morning routine",
                    "product_category": "skincare",
                    "tags": ["ugc", "spring"],
                    "filename": "morning-routine.mp4",
                    "size_bytes": 48213504,
                }
            ]
        }
    )

    purpose: Literal["creative"]


class StartVideoAssetUpload(_DirectUpload, VideoAssetUploadFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "purpose": "video_asset",
                    "name": "Spring launch",
                    "product_category": "skincare",
                    "filename": "spring-launch.mov",
                    "size_bytes": 734003200,
                }
            ]
        }
    )

    purpose: Literal["video_asset"]


StartUpload = Annotated[StartCreativeUpload | StartVideoAssetUpload, Field(discriminator="purpose")]


class UploadPartUrl(BaseModel):
    part_number: int
    url: str  # a presigned PUT: send the part's bytes as the body, with no Authorization header


class UploadStarted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "upload_id": "5e8d2c47-a1b9-4f36-8c0e-2d7a6b9f1e43",
                    "purpose": "creative",
                    "size_bytes": 48213504,
                    "part_size": 16777216,
                    "expires_at": "2026-11-30T15:05:09Z",
                    "parts": [
                        {
                            "part_number": 1,
                            "url": "https://storage.example.com/client-assets/uploads/5e8d2c47-a1b9-4f36-8c0e-2d7a6b9f1e43?partNumber=1&uploadId=2~abc&X-Amz-Signature=...",
                        },
                        {
                            "part_number": 2,
                            "url": "https://storage.example.com/client-assets/uploads/5e8d2c47-a1b9-4f36-8c0e-2d7a6b9f1e43?partNumber=2&uploadId=2~abc&X-Amz-Signature=...",
                        },
                        {
                            "part_number": 3,
                            "url": "https://storage.example.com/client-assets/uploads/5e8d2c47-a1b9-4f36-8c0e-2d7a6b9f1e43?partNumber=3&uploadId=2~abc&X-Amz-Signature=...",
                        },
                    ],
                }
            ]
        }
    )

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "parts": [
                        {"part_number": 1, "etag": '"9b2cf535f27731c974343645a3985328"'},
                        {"part_number": 2, "etag": '"1f3870be274f6c49b3e31a0c6728957f"'},
                        {"part_number": 3, "etag": '"c4ca4238a0b923820dcc509a6f75849b"'},
                    ]
                }
            ]
        }
    )

    parts: list[CompletedPart] | None = Field(None, max_length=10_000)


class UploadCompleted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "upload_id": "5e8d2c47-a1b9-4f36-8c0e-2d7a6b9f1e43",
                    "purpose": "creative",
                    "creative_id": "0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21",
                    "video_asset_id": None,
                    "workflow_id": "creative-0d4b8f3e-91a7-4c55-8e2f-6a1d3c9b7e21",
                }
            ]
        }
    )

    upload_id: uuid.UUID
    purpose: Purpose
    creative_id: uuid.UUID | None = None
    video_asset_id: uuid.UUID | None = None
    workflow_id: str
