"""Frames read from storage at 0/3/10 s (short videos move the CTA) and Claude answers never paid twice."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from activities.media import MediaActivities
from activities.vision import STORE_ATTEMPTS, VisionActivities
from devstack.samples import make_test_video
from models.db import make_engine, make_sessionmaker
from models.schemas.analysis import AnalyzeFramesInput, AnalyzeFramesOutput, ExtractFramesInput, ExtractFramesOutput
from settings import Settings
from storage.objects import ObjectRef
from tests.support.fake_anthropic import FakeAnthropic, default_insights
from vision.claude import OUTPUT_FORMAT, PROMPT_VERSION, ClaudeVision, make_anthropic_client


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
            [request] = fake.requests
            images = [block for block in request["messages"][0]["content"] if block["type"] == "image"]
            assert len(images) == 3
            # a JSON-schema answer at low effort; no forced tool call (the fake refuses one, as the API does)
            assert request["output_config"] == {"effort": "low", "format": OUTPUT_FORMAT}
            assert "tool_choice" not in request and "tools" not in request
        assert first.reused is False and retried.reused is True
        assert retried.insights == first.insights and retried.input_tokens == first.input_tokens > 0
        assert first.backend == "anthropic" and first.model == "claude-test"
        assert first.prompt_version == PROMPT_VERSION == "v2"
        assert first.insights.model_dump(exclude={"measurements"}) == default_insights()  # read past its thinking
    finally:
        await engine.dispose()


@workflow.defn(sandboxed=False)
class AnalyzeFramesOnce:
    """Runs the real analyze_frames activity under a real Temporal retry policy (fast, for the test)."""

    @workflow.run
    async def run(self, params: AnalyzeFramesInput) -> AnalyzeFramesOutput:
        return await workflow.execute_activity(
            "analyze_frames",
            params,
            result_type=AnalyzeFramesOutput,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3),
        )


async def _fail_inserts(engine: AsyncEngine, creative_id: uuid.UUID, times: int, name: str) -> None:
    """A real PostgreSQL trigger refusing this creative's first `times` analysis rows (a sequence counts
    them: nextval is not rolled back with the failed insert)."""
    statements = [
        f"CREATE SEQUENCE {name}",
        f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            IF NEW.creative_id = '{creative_id}' THEN
                IF nextval('{name}') <= {times} THEN RAISE EXCEPTION 'injected: the write is refused'; END IF;
            END IF;
            RETURN NEW; END $$""",
        f"CREATE TRIGGER {name} BEFORE INSERT ON creative_analyses FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


async def test_a_failed_store_after_a_paid_call_does_not_pay_again(
    s3: Any, stack_settings: Settings, temporal: Client, media_dir: Path
) -> None:
    """Every in-activity write of the first attempt fails: Temporal's retry finds the answer in the
    heartbeat details, stores it, and the API was called once."""
    video = make_test_video(media_dir / "paid-store.mp4", duration_s=4, width=360, height=640)
    video_key = await _stored_video(s3, stack_settings, video)
    frames = await _extract(s3, stack_settings, video_key)
    engine = make_engine(stack_settings.database_url or "", pool_size=2)
    params = AnalyzeFramesInput(
        analysis_id=uuid.uuid4(), creative_id=uuid.uuid4(), trigger="force", video_key=video_key, frames=frames.frames
    )
    name = f"fail_{uuid.uuid4().hex[:12]}"
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO creatives (id, name, is_benchmark, is_public, product_category, tags) "
                    "VALUES (:id, 'paid', false, false, 'x', '[]')"
                ),
                {"id": params.creative_id},
            )
        await _fail_inserts(engine, params.creative_id, STORE_ATTEMPTS, name)
        with FakeAnthropic() as fake:
            client = make_anthropic_client("test-key", fake.base_url, 10)
            vision = VisionActivities(s3, make_sessionmaker(engine), ClaudeVision(client, "claude-test"))
            queue = f"paid-once-{uuid.uuid4()}"
            async with Worker(
                temporal, task_queue=queue, workflows=[AnalyzeFramesOnce], activities=[vision.analyze_frames]
            ):
                result = await temporal.execute_workflow(
                    AnalyzeFramesOnce.run, params, id=f"paid-once-{params.analysis_id}", task_queue=queue
                )
            await client.close()
            assert len(fake.requests) == 1  # paid once, though the first attempt failed after paying
        async with engine.begin() as conn:
            tries = await conn.scalar(text(f"SELECT last_value FROM {name}"))
            stored = await conn.scalar(
                text("SELECT input_tokens FROM creative_analyses WHERE id = :id"), {"id": params.analysis_id}
            )
        assert tries == STORE_ATTEMPTS + 1  # the first attempt's writes all failed; the second attempt's landed
        assert result.analysis_id == params.analysis_id and stored == result.input_tokens > 0
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON creative_analyses"))
            await conn.execute(text(f"DROP FUNCTION IF EXISTS {name}()"))
            await conn.execute(text(f"DROP SEQUENCE IF EXISTS {name}"))
        await engine.dispose()
