"""The crop a media worker keeps for its own cuts: bounded, private, named by its pass, and never required."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from activities.clip_media import ClipMediaActivities
from domain.clip_plan import ShotPass
from media.crop_cache import MAX_AGE_S, CropCache
from models.schemas.clips import CutClipInput, ShotsInput
from settings import Settings
from storage import keys
from storage.objects import ObjectRef
from tests.media.test_shot_pass import _render


def _crop(folder: Path, name: str, size: int, age_s: float = 0.0) -> Path:
    path = folder / name
    path.write_bytes(os.urandom(size))
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_a_kept_crop_is_linked_by_its_id_and_only_by_a_well_formed_one(tmp_path: Path) -> None:
    cache, work = CropCache(tmp_path / "crops", 1 << 20), tmp_path / "work"
    cache.root.mkdir()
    work.mkdir()
    crop_id, path = uuid.uuid4().hex, _crop(work, "vertical.mp4", 1000)
    data = path.read_bytes()
    cache.keep(crop_id, path)
    assert not path.exists()  # moved, not copied
    linked = cache.link(crop_id, work / "clip-source.mp4")
    assert linked is not None and linked.read_bytes() == data
    assert cache.link(uuid.uuid4().hex, work / "other.mp4") is None  # another host's pass: not here
    # an id read back from storage is never a path
    outside = _crop(work, "outside.mp4", 10)
    cache.keep("../work/outside", outside)
    assert outside.exists() and cache.link("../work/outside", work / "x.mp4") is None


def test_the_cache_keeps_the_newest_within_its_bytes_and_age_and_a_linked_crop_outlives_it(tmp_path: Path) -> None:
    cache, work = CropCache(tmp_path / "crops", 2500), tmp_path / "work"
    cache.root.mkdir()
    work.mkdir()
    ids = [uuid.uuid4().hex for _ in range(4)]
    stale = _crop(cache.root, f"{ids[0]}.mp4", 100, age_s=MAX_AGE_S + 60)
    older = _crop(cache.root, f"{ids[1]}.mp4", 1000, age_s=30)
    linked = cache.link(ids[1], work / "in-use.mp4")  # a cut copying from it while the cache drops it
    _crop(cache.root, f"{ids[2]}.mp4", 1000, age_s=20)
    cache.keep(ids[3], _crop(work, "vertical.mp4", 1000))
    assert sorted(p.name for p in cache.root.iterdir()) == sorted([f"{ids[2]}.mp4", f"{ids[3]}.mp4"])
    assert not stale.exists() and not older.exists()
    assert linked is not None and linked.stat().st_size == 1000
    cache.keep(uuid.uuid4().hex, _crop(work, "huge.mp4", 3000))  # over the bound alone: not kept
    assert sorted(p.name for p in cache.root.iterdir()) == sorted([f"{ids[2]}.mp4", f"{ids[3]}.mp4"])


def test_the_cache_lives_only_in_a_private_directory_of_this_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    assert CropCache.in_temp_dir(0) is None  # turned off
    cache = CropCache.in_temp_dir(1 << 20)
    assert cache is not None and cache.root.parent == tmp_path and cache.root.stat().st_mode & 0o777 == 0o700
    cache.root.chmod(0o777)  # anyone could swap a crop in: not used
    assert CropCache.in_temp_dir(1 << 20) is None
    cache.root.rmdir()
    cache.root.symlink_to(tmp_path)  # a link planted where the directory goes: not followed
    assert CropCache.in_temp_dir(1 << 20) is None


async def test_cuts_on_the_passs_host_copy_its_kept_crop_and_other_hosts_the_stored_one(
    s3: Any, stack_settings: Settings, tmp_path: Path
) -> None:
    bucket, key = stack_settings.r2_client_assets_bucket, f"assets/tests/{uuid.uuid4()}.mp4"
    source = await asyncio.to_thread(_render, tmp_path / "source.mp4")
    await s3.put_object(Bucket=bucket, Key=key, Body=await asyncio.to_thread(source.read_bytes))
    video_key, env = f"r2://{bucket}/{key}", ActivityEnvironment()
    cache = CropCache(tmp_path / "crops", 1 << 30)
    cache.root.mkdir()
    here, elsewhere = ClipMediaActivities(s3, crops=cache), ClipMediaActivities(s3)

    async def pass_kept() -> ShotPass:
        await env.run(here.detect_shots, ShotsInput(video_key=video_key))
        stored = await s3.get_object(Bucket=bucket, Key=f"{key}.shots/shots.json")
        return ShotPass.model_validate_json(await stored["Body"].read())

    async def cut(media: ClipMediaActivities) -> bytes:
        params = CutClipInput(video_asset_id=uuid.uuid4(), clip_id=uuid.uuid4(), video_key=video_key,
                              clips_bucket=bucket, start_s=4.5, end_s=9.0, vertical_crop=True)  # fmt: skip
        out = await env.run(media.cut_clip, params)
        stored = await s3.get_object(Bucket=bucket, Key=ObjectRef.parse(out.clip_key).key)
        return bytes(await stored["Body"].read())

    first = await pass_kept()
    shots = await pass_kept()  # a retried pass: a new crop under a new id, which its shots.json names
    assert first.crop_id and shots.crop_id and first.crop_id != shots.crop_id
    crop = keys.shot_pass_crop(video_key)
    stored_crop = await s3.get_object(Bucket=crop.bucket, Key=crop.key)
    kept = cache.root / f"{shots.crop_id}.mp4"
    assert kept.read_bytes() == await stored_crop["Body"].read()
    from_storage = await cut(elsewhere)
    # the stored crop gone, the pass's host still copies the same clip from its own
    await s3.delete_object(Bucket=crop.bucket, Key=crop.key)
    assert await cut(here) == from_storage
