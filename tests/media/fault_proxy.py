"""An HTTP server that fails on demand: serves files (with Range) or proxies to storage, and answers chosen
requests with a 5xx or a dropped connection, as storage does for a moment after a restart."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# FFmpeg's HTTP client names itself Lavf/<version>: its reads, not boto's, are the ones a probe makes
FFMPEG_AGENT = "Lavf/"
CUT_SHORT = -1


@dataclass
class Request:
    method: str
    path: str
    agent: str
    answered: int  # status sent, 0 for a dropped connection


@dataclass
class Faults:
    """Which requests fail: `count` of those `matching`, after letting `skip` of them through."""

    count: int = 0
    skip: int = 0
    status: int = 503  # 0 drops the connection without an answer; CUT_SHORT sends half the body, then hangs up
    delay_s: float = 0.0  # every matching request waits this long first (a stalled storage)
    matching: Callable[[Request], bool] = lambda request: True
    seen: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # hold(): requests it matches wait (a stalled storage) until release(); `waiting` counts those held so far
    holding: Callable[[Request], bool] | None = None
    waiting: int = 0
    gate: threading.Event = field(default_factory=threading.Event)

    def hold(self, matching: Callable[[Request], bool]) -> None:
        with self.lock:
            self.gate.clear()
            self.holding, self.waiting = matching, 0

    def release(self) -> None:
        with self.lock:
            self.holding = None
            self.gate.set()

    def decide(self, request: Request) -> int | None:
        """The status to fail this request with, or None to serve it."""
        with self.lock:
            held = self.holding is not None and self.holding(request)
            self.waiting += held
        if held:
            self.gate.wait()
        with self.lock:
            if not self.matching(request):
                return None
            delay = self.delay_s
        if delay:
            time.sleep(delay)
        with self.lock:
            if self.skip > 0:
                self.skip -= 1
                return None
            if self.count > 0:
                self.count -= 1
                return self.status
            return None

    def fail(
        self, count: int, *, status: int = 503, skip: int = 0, ffmpeg_only: bool = False, delay_s: float = 0.0
    ) -> None:
        with self.lock:
            self.seen.clear()
            self.count, self.skip, self.status, self.delay_s = count, skip, status, delay_s
            self.matching = (lambda r: r.agent.startswith(FFMPEG_AGENT)) if ffmpeg_only else (lambda r: True)

    def ffmpeg_answers(self) -> list[int]:
        """The statuses FFmpeg's requests got, in order (0: dropped)."""
        return [r.answered for r in self.seen if r.agent.startswith(FFMPEG_AGENT)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        request = Request(method, self.path, self.headers.get("User-Agent", ""), 200)
        if self.headers.get("Expect", "").lower() == "100-continue":  # boto waits for it before a body
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        failure = self.server.faults.decide(request)
        self.server.faults.seen.append(request)
        if failure == 0:
            request.answered = 0
            self.close_connection = True
            return
        if failure is not None and failure != CUT_SHORT:
            request.answered = failure
            self._answer(failure, {"Content-Type": "text/plain"}, b"storage is restarting\n", method)
            return
        if self.server.upstream is not None:
            status, headers, payload = self._forward(method, body)
        else:
            status, headers, payload = self._file(method)
        request.answered = failure or status
        self._answer(status, headers, payload, method, cut_short=failure == CUT_SHORT)

    def _forward(self, method: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        # path, query and Host unchanged: a presigned or SigV4-signed request still verifies upstream
        assert self.server.upstream is not None
        connection = http.client.HTTPConnection(self.server.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"expect"}}
        connection.request(method, self.path, body=body or None, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
        connection.close()
        # a HEAD's length is the object's, not its (empty) body's
        dropped = HOP_BY_HOP | ({"content-length"} if method != "HEAD" else set())
        kept = {k: v for k, v in answer.getheaders() if k.lower() not in dropped}
        return answer.status, kept, payload

    def _file(self, method: str) -> tuple[int, dict[str, str], bytes]:
        assert self.server.directory is not None
        path = self.server.directory / urlsplit(self.path).path.lstrip("/")
        if not path.is_file():
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        data = path.read_bytes()
        headers = {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}
        found = _RANGE.fullmatch(self.headers.get("Range", ""))
        if not found:
            return 200, headers, data
        start = int(found[1] or 0)
        if start >= len(data):  # as S3 answers a range past the end
            return 416, {"Content-Range": f"bytes */{len(data)}"}, b""
        end = min(int(found[2]) if found[2] else len(data) - 1, len(data) - 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return 206, headers, data[start : end + 1]

    def _answer(
        self, status: int, headers: dict[str, str], payload: bytes, method: str, cut_short: bool = False
    ) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if not any(key.lower() == "content-length" for key in headers):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(payload[: len(payload) // 2] if cut_short else payload)
        if cut_short:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str | None, directory: Path | None, faults: Faults):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream, self.directory, self.faults = upstream, directory, faults

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # FFmpeg hangs up mid-body when it seeks: not a failure of the test


@contextmanager
def fault_server(*, upstream: str | None = None, directory: Path | None = None) -> Iterator[tuple[str, Faults]]:
    """(base URL, faults) of a server proxying to `upstream` (host:port or URL) or serving `directory`."""
    if upstream is not None and "://" in upstream:
        upstream = urlsplit(upstream).netloc
    faults = Faults()
    server = _Server(upstream, directory, faults)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", faults
    finally:
        server.shutdown()
        server.server_close()
