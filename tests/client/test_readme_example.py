"""The README's `ugc_client` example, run as written (files made first) against the API over real HTTP."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from api.auth import issue_token
from devstack.samples import make_test_video
from settings import Settings

pytestmark = pytest.mark.usefixtures("worker")
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_client_example() -> str:
    """The python block of the README's client section."""
    section = README.read_text().split("## The Python client (`ugc_client`)", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's client section has no python example"
    return match.group(1)


async def test_the_readme_client_example_runs(
    served_api: str, stack_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    make_test_video(tmp_path / "ad.mp4", duration_s=4.0)
    make_test_video(tmp_path / "long-cut.mp4", duration_s=12.0, width=640, height=360)
    monkeypatch.chdir(tmp_path)
    code = compile(readme_client_example().replace('"http://127.0.0.1:8000"', repr(served_api)), str(README), "exec")
    token = issue_token(stack_settings, "readme-reader")
    # in a thread: this test's event loop keeps running the worker while the blocking client waits
    await asyncio.to_thread(exec, code, {"token": token})
    printed = capsys.readouterr().out
    assert "X-Amz-Signature=" in printed  # the presigned URL of the creative
    assert "tiktok" in printed.lower()  # the best-clip decision for tiktok
