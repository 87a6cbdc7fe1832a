"""Video objects in storage and what probing one finds (activity I/O of the storage and media steps)."""

from __future__ import annotations

from pydantic import BaseModel


class FetchVideoInput(BaseModel):
    url: str
    dest_key: str  # r2://bucket/key
    max_bytes: int


class StoredObject(BaseModel):
    key: str  # r2://bucket/key
    sha256: str
    size_bytes: int


class ProbeVideoInput(BaseModel):
    key: str


class VideoProbe(BaseModel):
    container: str
    extension: str
    codec: str
    duration_s: float
    width: int
    height: int
    has_audio: bool
    size_bytes: int


class PublishObjectInput(BaseModel):
    source_key: str
    dest_key: str
    content_type: str
    metadata: dict[str, str]


class DeleteObjectsInput(BaseModel):
    keys: list[str]
