"""A worker killed (SIGKILL) mid-upload: the next worker resumes the same upload session from the heartbeat,
and Meta ends with exactly one video and one of every other object. The workers are real processes in a
Temporal namespace of their own, so the session's in-process worker never takes these tasks."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from clients import connect_temporal
from models.schemas.meta import DEFAULT_TARGETING, PublishCampaignInput
from settings import Settings
from storage.objects import ObjectRef
from tests.e2e.meta_helpers import MetaClientUser, draft_campaigns
from tests.support.fake_meta import FakeMeta
from tests.support.namespaces import new_namespace
from workflows.publish_campaign import PublishCampaignWorkflow, publish_workflow_id
from workflows.queues import TASK_QUEUE_MAIN

REPO = Path(__file__).resolve().parents[2]


def worker_env(settings: Settings, namespace: str) -> dict[str, str]:
    key = settings.meta_token_key.get_secret_value() if settings.meta_token_key else ""
    return os.environ | {
        "DATABASE_URL": settings.database_url or "", "TEMPORAL_ADDRESS": settings.temporal_address or "",
        "TEMPORAL_NAMESPACE": namespace, "R2_ENDPOINT_URL": settings.r2_endpoint_url or "",
        "R2_ACCESS_KEY_ID": settings.r2_access_key_id,
        "R2_SECRET_ACCESS_KEY": settings.r2_secret_access_key.get_secret_value(),
        "META_GRAPH_URL": settings.meta_graph_url or "", "META_TOKEN_KEY": key, "PYTHONPATH": str(REPO),
        "WORKER_GRACEFUL_SHUTDOWN_SECONDS": "1",
    }  # fmt: skip


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "worker"], env=env, cwd=log.parent, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while "worker serving" not in log.read_text(errors="replace"):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)
    return proc


async def test_a_worker_killed_mid_upload_leaves_one_video_and_one_of_each_object(
    api: httpx.AsyncClient, fake_meta_url: str, stack_settings: Settings, db: Any, s3: Any, tmp_path: Path
) -> None:
    fake = FakeMeta(fake_meta_url)
    user = MetaClientUser(stack_settings)
    await user.connect(api)
    (campaign_id,) = await draft_campaigns(db, s3, stack_settings, user.owner, tmp_path)
    async with db() as session:
        from models.tables import Campaign, Clip

        clip = await session.get(Clip, (await session.get(Campaign, campaign_id)).clip_id)
    ref = ObjectRef.parse(clip.clip_key)
    # the clip grown to ~24 MB (trailing bytes after a faststart MP4 leave its first frame readable), so the
    # upload takes ~100 chunks of the fake's 256 KB and the kill lands in the middle of it
    head = await (await s3.get_object(Bucket=ref.bucket, Key=ref.key))["Body"].read()
    data = head + os.urandom(24 * 1024 * 1024)
    await s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=data)

    namespace = f"meta-kill-{uuid.uuid4().hex[:8]}"
    await new_namespace(stack_settings, namespace)
    env, log = worker_env(stack_settings, namespace), tmp_path / "worker.log"
    first = start_worker(env, log)
    second = None
    try:
        client = await connect_temporal(stack_settings.model_copy(update={"temporal_namespace": namespace}))
        handle = await client.start_workflow(
            PublishCampaignWorkflow.run,
            PublishCampaignInput(campaign_id=campaign_id, ad_account_id=uuid.UUID(user.account_id), message="m",
                                 link="https://shop.example.com/p", call_to_action="SHOP_NOW",
                                 targeting=DEFAULT_TARGETING, video_poll_seconds=0.5),
            id=publish_workflow_id(campaign_id), task_queue=TASK_QUEUE_MAIN,
        )  # fmt: skip

        def transfers() -> int:
            return sum(c["phase"] == "transfer" and user.act in c["path"] for c in fake.calls())

        deadline = time.monotonic() + 120
        while transfers() < 10:
            assert time.monotonic() < deadline and first.poll() is None, log.read_text()[-3000:]
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        sent_before_kill = transfers()
        assert sent_before_kill < len(data) // (256 * 1024)  # killed mid-upload
        second = start_worker(env, log)
        result = await asyncio.wait_for(handle.result(), 240)  # the upload's heartbeat timeout, then a retry
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
    objects = [o for o in fake.objects() if o["account"] == user.act]
    kinds = sorted(o["kind"] for o in objects if o["kind"] != "image")  # images are keyed by content anyway
    assert kinds == ["ad", "adset", "campaign", "creative", "video"]
    (video,) = [o for o in objects if o["kind"] == "video"]
    assert video["sha256"] == hashlib.sha256(data).hexdigest() and result.ids["meta_video_id"] == video["id"]
    starts = [c for c in fake.calls() if c["phase"] == "start" and user.act in c["path"]]
    assert len(starts) == 1  # the retry went on with the same upload session instead of opening a second one


pytestmark = pytest.mark.usefixtures("worker")
