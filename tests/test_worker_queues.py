"""The worker can serve its task queues apart; a transfer-only worker stays lean."""

import subprocess
import sys

import pytest

from workflows.queues import parse_queues


def test_parse_queues() -> None:
    assert parse_queues("all") == ["main", "media", "transfer"]
    assert parse_queues(" media , transfer") == ["media", "transfer"]
    with pytest.raises(ValueError, match="unknown worker queue"):
        parse_queues("main,gpu")
    with pytest.raises(ValueError):
        parse_queues(",")


def test_transfer_worker_imports_no_database_or_ffmpeg_libraries() -> None:
    probe = (
        "import sys, worker, activities.storage; "
        "print(sorted(m for m in ('sqlalchemy', 'av', 'cv2', 'PIL', 'anthropic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
