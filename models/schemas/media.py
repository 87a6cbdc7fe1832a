"""Video objects in storage and what probing one finds (activity I/O of the storage and media steps)."""

from __future__ import annotations

from pydantic import BaseModel, Field

# what one media worker can decode within its memory ceiling (bench/media_memory.py measures it); the
# worker's settings (MAX_VIDEO_*) override these defaults
DEFAULT_MAX_WIDTH = 4096
DEFAULT_MAX_HEIGHT = 4096
DEFAULT_MAX_DURATION_S = 600.0
DEFAULT_MAX_FPS = 120.0
DEFAULT_MAX_FRAMES = 36_000  # 10 minutes at 60 fps: bounds the CPU a shot pass may spend


class FetchVideoInput(BaseModel):
    url: str
    dest_key: str  # r2://bucket/key
    max_bytes: int


class StoredObject(BaseModel):
    key: str  # r2://bucket/key
    sha256: str
    size_bytes: int


class MediaLimits(BaseModel):
    """The largest video the media steps accept: displayed size, length, frame rate and frame count."""

    max_width: int = Field(DEFAULT_MAX_WIDTH, gt=0)
    max_height: int = Field(DEFAULT_MAX_HEIGHT, gt=0)
    max_duration_s: float = Field(DEFAULT_MAX_DURATION_S, gt=0)
    max_fps: float = Field(DEFAULT_MAX_FPS, gt=0)
    max_frames: int = Field(DEFAULT_MAX_FRAMES, gt=0)

    @property
    def max_pixels(self) -> int:
        return self.max_width * self.max_height


class ProbeVideoInput(BaseModel):
    key: str
    # None: the worker's own limits (its settings); recorded histories without the field still load
    limits: MediaLimits | None = None


class VideoProbe(BaseModel):
    container: str
    extension: str
    codec: str
    duration_s: float
    width: int
    height: int
    has_audio: bool
    size_bytes: int


class ProbeOutcome(BaseModel):
    """What probing a stored video found: its probe, or None with the reason it was refused."""

    probe: VideoProbe | None
    reason: str | None = None


class PublishObjectInput(BaseModel):
    source_key: str
    dest_key: str
    content_type: str
    metadata: dict[str, str]


class DeleteObjectsInput(BaseModel):
    keys: list[str]
