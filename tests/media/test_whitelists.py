"""Untrusted media is opened with format and protocol whitelists: playlists naming local files are refused,
by PyAV (probe, frames, shot pass) and by the ffmpeg command line (cuts, loudness) alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.samples import make_test_video
from domain.failures import InvalidVideo
from media.ffmpeg_cli import input_args, run
from media.probe import probe_url
from media.source import open_video
from tests.support.fileserver import serve_directory


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A directory with a video and playlists that point at it by file://, and its URL over HTTP."""
    root = tmp_path_factory.mktemp("hostile")
    good = make_test_video(root / "good.mp4", duration_s=2.0)
    (root / "local.m3u8").write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nfile://{good}\n#EXT-X-ENDLIST\n")
    (root / "local.ffconcat").write_text(f"ffconcat version 1.0\nfile 'file:{good}'\n")
    with serve_directory(root) as url:
        yield root, url


PLAYLISTS = ["local.m3u8", "local.ffconcat"]


@pytest.mark.parametrize("name", PLAYLISTS)
@pytest.mark.parametrize("over_http", [True, False], ids=["url", "path"])
def test_probe_refuses_a_playlist(hostile: tuple[Path, str], name: str, over_http: bool) -> None:
    root, url = hostile
    source = f"{url}/{name}" if over_http else str(root / name)
    with pytest.raises(InvalidVideo, match="not a supported video file"):
        probe_url(source, 100)


def test_a_video_is_still_read_both_ways(hostile: tuple[Path, str]) -> None:
    root, url = hostile
    for source in (f"{url}/good.mp4", str(root / "good.mp4")):
        assert probe_url(source, 100).extension == "mp4"
        with open_video(source) as (container, _stream):
            assert container.format.name.startswith("mov")


@pytest.mark.parametrize("name", PLAYLISTS)
def test_the_ffmpeg_command_line_refuses_a_playlist(hostile: tuple[Path, str], name: str) -> None:
    _, url = hostile
    done = run(["-hide_banner", "-nostdin", *input_args(f"{url}/{name}"), "-f", "null", "-"], 60)
    assert done.returncode != 0
    assert "not on whitelist" in done.stderr


def test_a_url_may_not_name_a_local_file_inside_the_container(hostile: tuple[Path, str]) -> None:
    # were HLS allowed, the URL's protocol whitelist would still refuse the file:// segment
    _, url = hostile
    args = [*input_args(f"{url}/local.m3u8"), "-f", "null", "-"]
    args[args.index("-format_whitelist") + 1] = "mov,matroska,hls"
    done = run(["-hide_banner", "-nostdin", *args], 60)
    assert done.returncode != 0
    assert "Protocol 'file' not on whitelist" in done.stderr
