"""The ffmpeg command line (imageio-ffmpeg's bundled binary): built with ffmpeg-python, its input options, a run
that can be stopped, and the judgement of its stderr: the network's failure (retry) or the file's."""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ffmpeg as ffmpeg_python
import imageio_ffmpeg

from media.source import (
    DECODER_THREADS,
    HTTP_OPTIONS,
    NETWORK_COMPONENTS,
    ShouldStop,
    Stopped,
    is_url,
    network_failure,
    redact,
    whitelists,
)
from models.schemas.media import MediaLimits

ffmpeg = functools.cache(imageio_ffmpeg.get_ffmpeg_exe)  # the bundled binary, looked up on first use
STDERR_TAIL_LINES = 15
WATCH_EVERY_S = 0.2  # how soon a stop or a timeout kills the process
# with `-loglevel level+…` each line reads "[component @ 0x…] [level] message"
_LINE = re.compile(r"^(?:\[(\w+) @ [^\]]*\] )*\[(warning|error|fatal|panic)\] (.*)$", re.M)
# errors the CLI reports in its own words (no component) when it cannot reach an input
_UNREACHABLE = re.compile(
    r"Server returned [45]|Connection refused|Connection reset|timed out|Network is unreachable"
    r"|No route to host|Immediate exit requested|Input/output error"
)


def cli_input_options(source: str, limits: MediaLimits | None = None) -> dict[str, str]:
    """-i's options: the whitelists, the decoder's bounds (threads, pixels) and, for a URL, reconnect and timeout."""
    options = {**(HTTP_OPTIONS if is_url(source) else {}), **whitelists(source), "threads": str(DECODER_THREADS)}
    options["max_pixels"] = str((limits or MediaLimits()).max_pixels)
    return options


def input_args(source: str, limits: MediaLimits | None = None) -> list[str]:
    """-i source after its options, as plain arguments."""
    return [*(a for k, v in cli_input_options(source, limits).items() for a in (f"-{k}", v)), "-i", str(source)]


def open_input(source: str, limits: MediaLimits | None = None, **options: str) -> Any:
    """ffmpeg-python's input node for `source`, with the same options as input_args."""
    return ffmpeg_python.input(str(source), **cli_input_options(source, limits), **options)


def arguments(output: Any, *global_args: str) -> list[str]:
    """The command line ffmpeg-python compiles for an output node, without the binary (run() adds it)."""
    # global options may follow the output file: the CLI reads them wherever they stand
    return list(output.global_args(*global_args).overwrite_output().compile(cmd=[]))


@dataclass
class Run:
    returncode: int
    stderr: str
    timed_out: bool


def run(
    args: list[str],
    timeout_s: float,
    *,
    should_stop: ShouldStop = None,
    on_stdout_line: Callable[[bytes], None] | None = None,
) -> Run:
    """Run ffmpeg with args; killed at timeout_s or as soon as should_stop() says so (then Stopped is raised)."""
    finished, stopped, timed_out = threading.Event(), threading.Event(), threading.Event()
    # stderr to a file, not a pipe: a damaged source can log more than a pipe buffer while stdout is read
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([ffmpeg(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)

        def watch() -> None:
            deadline = time.monotonic() + timeout_s
            while not finished.wait(WATCH_EVERY_S):
                if should_stop is not None and should_stop():
                    stopped.set()
                elif time.monotonic() > deadline:
                    timed_out.set()
                else:
                    continue
                proc.kill()
                return

        watcher = threading.Thread(target=watch, name="ffmpeg-watch", daemon=True)
        watcher.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if on_stdout_line is not None:
                    on_stdout_line(line)
            returncode = proc.wait()
        finally:
            finished.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            watcher.join()
        if stopped.is_set():
            raise Stopped()
        err.seek(0)
        return Run(returncode, err.read().decode(errors="replace"), timed_out.is_set())


def unavailable_reason(source: str, stderr: str) -> str | None:
    """Why ffmpeg could not read a URL for now (storage, network, timeout), from its stderr; None: not that."""
    if not is_url(source):
        return None
    lines = _LINE.findall(stderr)
    found = network_failure([message for component, _, message in lines if component in NETWORK_COMPONENTS])
    if found:
        return found
    errors = (message for _, level, message in lines if level != "warning")
    return next((redact(message.strip()) for message in errors if _UNREACHABLE.search(message)), None)


def tail(stderr: str) -> str:
    """The last lines of ffmpeg's stderr (the error is at the end), presigned query strings cut out."""
    # a presigned URL's query is a credential: it must not reach Temporal history or the clip's failure reason
    lines = [line for line in redact(stderr).splitlines() if line.strip()]
    return "\n".join(lines[-STDERR_TAIL_LINES:]) or "(no output)"
