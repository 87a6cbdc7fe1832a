"""Frames read from storage at 0/3/10 s (short videos move the CTA) and Claude answers never paid twice."""

from __future__ import annotations

import asyncio
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import text
from temporalio.testing import ActivityEnvironment

from activities.media import MediaActivities
from activities.vision import VisionActivities
from devstack.samples import make_test_video
from models.db import make_engine, make_sessionmaker
from models.schemas.analysis import AnalyzeFramesInput, ExtractFramesInput, ExtractFramesOutput
from settings import Settings
from storage.objects import ObjectRef
from tests.support.fake_anthropic import FakeAnthropic
from vision.claude import ClaudeVision, make_anthropic_client


async def _stored_video(s3: Any, settings: Settings, path: Path) -> str:
    key = f"videos/client_tests/{uuid.uuid4()}.mp4"
    await s3.put_object(Bucket=settings.r2_client_assets_bucket, Key=key, Body=await asyncio.to_thread(path.read_bytes))
    return f"r2://{settings.r2_client_assets_bucket}/{key}"


async def _extract(s3: Any, settings: Settings, video_key: str, max_edge: int = 1280) -> ExtractFramesOutput:
    params = ExtractFramesInput(
        creative_id=uuid.uuid4(),
        analysis_id=uuid.uuid4(),
        video_key=video_key,
        frames_bucket=settings.r2_client_assets_bucket,
        timestamps=[0.0, 3.0, 10.0],
        max_edge=max_edge,
    )
    return await ActivityEnvironment().run(MediaActivities(s3).extract_frames, params)


@pytest.mark.parametrize(("duration", "cta_at"), [(9.9, 9.4), (10.0, 9.5), (10.1, 10.0)])
async def test_cta_frame_of_short_videos(
    s3: Any, stack_settings: Settings, media_dir: Path, duration: float, cta_at: float
) -> None:
    video = make_test_video(media_dir / f"len-{duration}.mp4", duration_s=duration, width=360, height=640)
    result = await _extract(s3, stack_settings, await _stored_video(s3, stack_settings, video))
    assert [frame.label for frame in result.frames] == ["hook", "body", "cta"]
    assert [frame.requested_s for frame in result.frames] == [0.0, 3.0, 10.0]
    hook, body, cta = (frame.timestamp_s for frame in result.frames)
    assert hook == pytest.approx(0.0, abs=0.04) and body == pytest.approx(3.0, abs=0.04)
    assert cta == pytest.approx(cta_at, abs=0.04)
    assert cta < duration
    for frame in result.frames:  # stored as real JPEGs, only their keys came back
        ref = ObjectRef.parse(frame.key)
        assert ref.key.endswith(f"/{frame.label}.jpg")
        stored = await s3.get_object(Bucket=ref.bucket, Key=ref.key)
        image = Image.open(io.BytesIO(await stored["Body"].read()))
        assert image.format == "JPEG" and image.size == (frame.width, frame.height) == (360, 640)


async def test_frames_are_scaled_to_the_long_edge(s3: Any, stack_settings: Settings, media_dir: Path) -> None:
    video = make_test_video(media_dir / "wide.mp4", duration_s=4, width=1280, height=720)
    result = await _extract(s3, stack_settings, await _stored_video(s3, stack_settings, video), max_edge=640)
    assert {(frame.width, frame.height) for frame in result.frames} == {(640, 360)}
    assert result.frames[2].timestamp_s == pytest.approx(3.5, abs=0.04)  # 4 s video: CTA from its last second


async def test_claude_answer_is_stored_and_never_paid_twice(s3: Any, stack_settings: Settings, media_dir: Path) -> None:
    video = make_test_video(media_dir / "paid.mp4", duration_s=11, width=360, height=640)
    video_key = await _stored_video(s3, stack_settings, video)
    frames = await _extract(s3, stack_settings, video_key)
    engine = make_engine(stack_settings.database_url or "", pool_size=1)
    params = AnalyzeFramesInput(
        analysis_id=uuid.uuid4(),
        creative_id=uuid.uuid4(),
        trigger="force",
        video_key=video_key,
        frames=frames.frames,
    )
    try:
        # the creative row must exist for the analysis row's foreign key
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO creatives (id, name, is_benchmark, is_public, product_category, tags) "
                    "VALUES (:id, 'paid', false, false, 'x', '[]')"
                ),
                {"id": params.creative_id},
            )
        with FakeAnthropic() as fake:
            client = make_anthropic_client("test-key", fake.base_url, 10)
            vision = VisionActivities(s3, make_sessionmaker(engine), ClaudeVision(client, "claude-test"))
            first = await ActivityEnvironment().run(vision.analyze_frames, params)
            retried = await ActivityEnvironment().run(vision.analyze_frames, params)  # e.g. after a crash
            await client.close()
            assert len(fake.requests) == 1
            images = [block for block in fake.requests[0]["messages"][0]["content"] if block["type"] == "image"]
            assert len(images) == 3
        assert first.reused is False and retried.reused is True
        assert retried.insights == first.insights and retried.input_tokens == first.input_tokens > 0
        assert first.backend == "anthropic" and first.model == "claude-test"
    finally:
        await engine.dispose()
