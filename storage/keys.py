"""THE object key layout: every key the system stores an object under is made here, from server-made ids.

A user's file name never reaches a key (it is kept in the database only); user ids are made key-safe.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from storage.objects import ObjectRef

CONTENT_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "mkv": "video/x-matroska"}
OCTET_STREAM = "application/octet-stream"
SHOT_PASS_SUFFIX = ".shots"  # the shot pass's shots.json and vertical.mp4 sit next to the source, under <key>.shots/
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def content_type(extension: str) -> str:
    return CONTENT_TYPES.get(extension, OCTET_STREAM)


def owner_segment(user_id: str) -> str:
    """A user id safe inside an object key (ids with other characters are hashed, never trusted)."""
    if _SAFE_SEGMENT.match(user_id):
        return user_id
    return "h" + hashlib.sha256(user_id.encode()).hexdigest()[:24]


def client_video(bucket: str, user_id: str, creative_id: uuid.UUID, extension: str) -> ObjectRef:
    return ObjectRef(bucket, f"videos/client_{owner_segment(user_id)}/{creative_id}.{extension}")


def asset_video(bucket: str, user_id: str, video_asset_id: uuid.UUID, extension: str) -> ObjectRef:
    return ObjectRef(bucket, f"assets/client_{owner_segment(user_id)}/{video_asset_id}.{extension}")


def benchmark_staging(bucket: str, creative_id: uuid.UUID) -> ObjectRef:
    """Where a benchmark's video waits, private, until the probe accepts it."""
    return ObjectRef(bucket, f"staging/benchmarks/{creative_id}")


def benchmark_video(bucket: str, creative_id: uuid.UUID, extension: str) -> ObjectRef:
    return ObjectRef(bucket, f"benchmarks/{creative_id}.{extension}")


def frame(bucket: str, creative_id: uuid.UUID, analysis_id: uuid.UUID, label: str) -> ObjectRef:
    return ObjectRef(bucket, f"frames/{creative_id}/{analysis_id}/{label}.jpg")


def clip(bucket: str, video_asset_id: uuid.UUID, clip_id: uuid.UUID) -> ObjectRef:
    return ObjectRef(bucket, f"clips/{video_asset_id}/{clip_id}.mp4")


def _shot_pass_dir(video_key: str) -> ObjectRef:
    ref = ObjectRef.parse(video_key)
    return ObjectRef(ref.bucket, ref.key + SHOT_PASS_SUFFIX)


def shot_pass_samples(video_key: str) -> ObjectRef:
    """The shot pass's shots.json: written last, so its presence says the crop it names is complete."""
    work = _shot_pass_dir(video_key)
    return ObjectRef(work.bucket, f"{work.key}/shots.json")


def shot_pass_crop(video_key: str) -> ObjectRef:
    """The 9:16 crop of a horizontal source, where every vertical clip is copied from."""
    work = _shot_pass_dir(video_key)
    return ObjectRef(work.bucket, f"{work.key}/vertical.mp4")


def shot_pass_keys(video_key: str) -> list[str]:
    """Everything the shot pass may have stored: deleted once the clips are cut."""
    return [str(shot_pass_crop(video_key)), str(shot_pass_samples(video_key))]
