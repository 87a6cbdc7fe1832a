"""VisionActivities: Claude Vision or the local analyzer over three frames; a stored result is reused."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import typed_failures
from activities.heartbeat import threadsafe_heartbeat
from models.schemas.analysis import AnalyzeFramesInput, AnalyzeFramesOutput, CreativeInsights, Frame
from models.tables import CreativeAnalysis
from storage.objects import MEDIA_READ_SECONDS, ObjectRef, presigned_get
from telemetry.metrics import CLAUDE_COST, CLAUDE_TOKENS, claude_cost_microdollars

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

    from vision.claude import ClaudeAnswer, ClaudeVision

LOCAL_PROMPT_VERSION = "local-v1"
# a paid answer's row is written this many times (0.5 s, 1 s apart) before the attempt gives up; the next
# attempt still finds the answer in the heartbeat details, so a database hiccup never costs a second call
STORE_ATTEMPTS = 3
STORE_BACKOFF_S = 0.5


def cache_key(params: AnalyzeFramesInput, model: str, prompt_version: str) -> str:
    """Same creative, same frame objects, same model and prompt: the same (already paid) answer."""
    frames = ",".join(f"{frame.key}:{frame.sha256}" for frame in params.frames)
    return hashlib.sha256(f"{params.creative_id}|{frames}|{model}|{prompt_version}".encode()).hexdigest()


class VisionActivities:
    """Analysis backends; `claude` is None when the worker has no ANTHROPIC_API_KEY."""

    def __init__(
        self,
        s3: S3Client,
        sessionmaker: async_sessionmaker[AsyncSession],
        claude: ClaudeVision | None,
        usd_per_mtok: tuple[float, float] = (3.0, 15.0),
    ):
        self.s3 = s3
        self.sessionmaker = sessionmaker
        self.claude = claude
        self.usd_per_mtok = usd_per_mtok  # (input, output) prices, for the estimated-cost counter

    def _count_spend(self, model: str, input_tokens: int, output_tokens: int) -> None:
        CLAUDE_TOKENS.add(input_tokens, model=model, kind="input")
        CLAUDE_TOKENS.add(output_tokens, model=model, kind="output")
        CLAUDE_COST.add(claude_cost_microdollars(input_tokens, output_tokens, self.usd_per_mtok), model=model)

    @activity.defn
    @typed_failures
    async def analyze_frames(self, params: AnalyzeFramesInput) -> AnalyzeFramesOutput:
        """Claude Vision (ugc-main: it is network-bound); retries map to the API's answers."""
        from vision.claude import PROMPT_VERSION

        if self.claude is None:
            raise ApplicationError(
                "this worker has no ANTHROPIC_API_KEY: set it, or VISION_BACKEND=local",
                type="VisionNotConfigured",
                non_retryable=True,
            )
        key = cache_key(params, self.claude.model, PROMPT_VERSION)
        if stored := await self._stored(key):
            return stored
        answer = paid_answer(key)
        if answer is None:
            frames = await self._frame_bytes(params.frames)
            answer = await self.claude.analyze(frames, attempt=activity.info().attempt)
            self._count_spend(answer.model, answer.input_tokens, answer.output_tokens)
            # Temporal keeps the last heartbeat's details for the next attempt: the answer is durable from
            # here on, before the database write that may fail (the first heartbeat is sent at once)
            activity.heartbeat({"cache_key": key, "answer": answer.model_dump(mode="json")})
        return await self._store(
            params, key, answer.insights, "anthropic", answer.model, PROMPT_VERSION,
            answer.input_tokens, answer.output_tokens,
        )  # fmt: skip

    @activity.defn
    @typed_failures
    async def analyze_frames_locally(self, params: AnalyzeFramesInput) -> AnalyzeFramesOutput:
        """Offline analysis from real measurements of the video and frames (ugc-media: CPU-bound)."""
        from media.local_analyzer import LOCAL_MODEL, analyze_locally

        key = cache_key(params, LOCAL_MODEL, LOCAL_PROMPT_VERSION)
        if stored := await self._stored(key):
            return stored
        frames = await self._frame_bytes(params.frames)
        url = await presigned_get(self.s3, params.video_key, MEDIA_READ_SECONDS)
        insights = await asyncio.to_thread(analyze_locally, url, frames, threadsafe_heartbeat())
        return await self._store(params, key, insights, "local", LOCAL_MODEL, LOCAL_PROMPT_VERSION, 0, 0)

    async def _insert(self, row: dict[str, Any]) -> None:
        """The analysis row, retried here a few times: a failed write would otherwise fail the attempt."""
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                async with self.sessionmaker.begin() as session:
                    statement = insert(CreativeAnalysis).values(**row).on_conflict_do_nothing(index_elements=["id"])
                    await session.execute(statement)
                return
            except (SQLAlchemyError, OSError) as exc:
                if attempt == STORE_ATTEMPTS:
                    raise
                activity.logger.warning("storing analysis %s failed (%s); retrying", row["id"], exc)
                await asyncio.sleep(STORE_BACKOFF_S * attempt)

    async def _frame_bytes(self, frames: list[Frame]) -> list[tuple[Frame, bytes]]:
        loaded = []
        for frame in frames:
            ref = ObjectRef.parse(frame.key)
            answer = await self.s3.get_object(Bucket=ref.bucket, Key=ref.key)
            async with answer["Body"] as body:
                loaded.append((frame, await body.read()))
        return loaded

    async def _stored(self, key: str) -> AnalyzeFramesOutput | None:
        async with self.sessionmaker() as session:
            row = await session.scalar(select(CreativeAnalysis).where(CreativeAnalysis.cache_key == key).limit(1))
        if row is None:
            return None
        backend: Literal["anthropic", "local"] = "local" if row.prompt_version == LOCAL_PROMPT_VERSION else "anthropic"
        return AnalyzeFramesOutput(
            analysis_id=row.id,
            insights=CreativeInsights.model_validate(row.result),
            backend=backend,
            model=row.model,
            prompt_version=row.prompt_version,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            reused=True,
        )

    async def _store(
        self,
        params: AnalyzeFramesInput,
        key: str,
        insights: CreativeInsights,
        backend: Literal["anthropic", "local"],
        model: str,
        prompt_version: str,
        input_tokens: int,
        output_tokens: int,
    ) -> AnalyzeFramesOutput:
        """Store the answer at once, before anything else can fail: it is never paid for twice."""
        row = {
            "id": params.analysis_id,
            "creative_id": params.creative_id,
            "trigger": params.trigger,
            "model": model,
            "prompt_version": prompt_version,
            "cache_key": key,
            "frame_keys": [frame.key for frame in params.frames],
            "frame_timestamps": [frame.timestamp_s for frame in params.frames],
            "result": insights.model_dump(mode="json"),
            "tags": [],
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
        }
        await self._insert(row)
        return AnalyzeFramesOutput(
            analysis_id=params.analysis_id,
            insights=insights,
            backend=backend,
            model=model,
            prompt_version=prompt_version,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            reused=False,
        )


def paid_answer(key: str) -> ClaudeAnswer | None:
    """The answer an earlier attempt paid for and recorded in its heartbeat, if it was for these inputs."""
    from vision.claude import ClaudeAnswer

    for detail in activity.info().heartbeat_details:
        if isinstance(detail, dict) and detail.get("cache_key") == key:
            return ClaudeAnswer.model_validate(detail["answer"])
    return None
