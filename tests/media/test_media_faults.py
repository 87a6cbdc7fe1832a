"""Transient or permanent, by cause: storage answering 5xx, hanging up or stalling is SourceUnavailable wherever
FFmpeg meets it (opening, seeking, mid-stream, in the CLI); only the file's own faults are InvalidVideo."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import media.source as source
from devstack.samples import ffmpeg_exe, make_test_video, make_text_file, make_truncated_copy
from domain.failures import InvalidVideo, SourceUnavailable
from media.clipping import cut_clip, loudness_blocks
from media.frames import read_frames
from media.probe import probe_url
from media.shot_pass import shot_pass
from tests.media.fault_proxy import CUT_SHORT, Faults, fault_server

# what a presigned URL carries: it must never reach a failure's message
QUERY = "?X-Amz-Signature=secret&X-Amz-Credential=key"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("faults")
    make_test_video(folder / "good.mp4", duration_s=4.0, width=640, height=360)
    # the index at the end: opening it takes a second request, so a failure there is mid-read
    moov_last = make_test_video(folder / "moov-last.mp4", duration_s=4.0, width=640, height=360, faststart=False)
    make_truncated_copy(folder / "good.mp4", folder / "truncated.mp4", keep_fraction=0.5)
    make_truncated_copy(moov_last, folder / "truncated-moov-last.mp4", keep_fraction=0.6)
    make_text_file(folder / "notes.mp4")
    # ~3 MB: the frame reader's 1 MiB range requests cannot fetch it in one
    noisy = "testsrc2=s=1280x720:r=30:d=6,noise=alls=30:allf=t"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", noisy,
                    "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4M", "-g", "30", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(folder / "heavy.mp4")], check=True)  # fmt: skip
    return folder


@pytest.fixture
def server(videos: Path) -> Iterator[tuple[str, Faults]]:
    with fault_server(directory=videos) as (base, faults):
        yield base, faults


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429, 403, 404, 0])
def test_a_failed_open_is_unavailable_not_invalid(server: tuple[str, Faults], status: int) -> None:
    base, faults = server
    faults.fail(1, status=status)
    with pytest.raises(SourceUnavailable) as raised:
        probe_url(f"{base}/good.mp4{QUERY}", 1)
    assert "X-Amz" not in raised.value.message and raised.value.retryable
    assert probe_url(f"{base}/good.mp4{QUERY}", 1).duration_s == pytest.approx(4.0, abs=0.1)  # outage over


@pytest.mark.parametrize("status", [503, 0, CUT_SHORT])
def test_a_storage_outage_mid_probe_is_unavailable_and_the_probe_succeeds_after_it(
    server: tuple[str, Faults], status: int
) -> None:
    base, faults = server
    faults.fail(100, status=status, skip=1)  # the first read answers, every later one fails
    with pytest.raises(SourceUnavailable):
        probe_url(f"{base}/moov-last.mp4{QUERY}", 1)
    assert faults.ffmpeg_answers()[0] in (200, 206) and len(faults.ffmpeg_answers()) > 1
    faults.fail(0)
    assert (probe_url(f"{base}/moov-last.mp4{QUERY}", 1).width, 640) == (640, 640)


def test_a_refused_connection_and_a_stalled_read_are_unavailable(
    server: tuple[str, Faults], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, faults = server
    with fault_server(directory=Path("/nonexistent")) as (closed, _):
        pass  # its port is free again: nothing listens there
    with pytest.raises(SourceUnavailable):
        probe_url(f"{closed}/good.mp4{QUERY}", 1)
    monkeypatch.setitem(source.HTTP_OPTIONS, "rw_timeout", "1000000")  # 1 s instead of 30
    faults.fail(1, delay_s=3.0)
    with pytest.raises(SourceUnavailable):
        probe_url(f"{base}/good.mp4{QUERY}", 1)


@pytest.mark.parametrize("name", ["truncated.mp4", "truncated-moov-last.mp4", "notes.mp4"])
def test_a_damaged_file_over_http_is_still_invalid(server: tuple[str, Faults], name: str) -> None:
    base, _ = server
    with pytest.raises(InvalidVideo):
        probe_url(f"{base}/{name}{QUERY}", 1)


def test_frames_and_the_shot_pass_cut_short_by_storage_are_unavailable(
    server: tuple[str, Faults], tmp_path: Path
) -> None:
    base, faults = server
    heavy, url = f"{base}/heavy.mp4{QUERY}", f"{base}/moov-last.mp4{QUERY}"
    faults.fail(100, skip=1)  # the seek to 5 s needs a second range request
    with pytest.raises(SourceUnavailable):
        read_frames(heavy, [0.0, 5.0], 320)
    faults.fail(100, status=CUT_SHORT, skip=1)  # FFmpeg reconnects where each body ended: the frames are right
    images, _ = read_frames(heavy, [0.0, 5.0], 320)
    assert [image.timestamp_s for image in images] == pytest.approx([0.0, 5.0], abs=0.04)
    assert set(faults.ffmpeg_answers()[1:]) == {CUT_SHORT}
    # a read cut short ends like a shorter file: the shots past it would be missing
    faults.fail(100, status=CUT_SHORT, skip=1)
    with pytest.raises(SourceUnavailable):
        shot_pass(url, tmp_path / "crop.mp4", 640)
    faults.fail(0)
    images, _ = read_frames(heavy, [0.0, 5.0], 320)
    assert [image.timestamp_s for image in images] == pytest.approx([0.0, 5.0], abs=0.04)
    assert shot_pass(url, tmp_path / "crop.mp4", 640).duration_s == pytest.approx(4.0, abs=0.1)


@pytest.mark.parametrize(("status", "skip"), [(503, 0), (0, 0), (CUT_SHORT, 0), (503, 1)])
def test_the_ffmpeg_cli_reports_storage_failures_as_unavailable(
    server: tuple[str, Faults], tmp_path: Path, status: int, skip: int
) -> None:
    base, faults = server
    url = f"{base}/moov-last.mp4{QUERY}"
    faults.fail(100, status=status, skip=skip)
    with pytest.raises(SourceUnavailable) as raised:
        cut_clip(url, tmp_path / "clip.mp4", 0.0, 3.0, False, 320)
    assert "X-Amz" not in raised.value.message and not (tmp_path / "clip.mp4").exists()
    faults.fail(100, status=status, skip=skip)
    with pytest.raises(SourceUnavailable):
        loudness_blocks(url)
    faults.fail(0)
    assert cut_clip(url, tmp_path / "clip.mp4", 0.0, 3.0, False, 320).exists()
    assert loudness_blocks(url)
