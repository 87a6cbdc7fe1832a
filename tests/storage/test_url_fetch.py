"""storage.url_fetch against real HTTP(S) servers on loopback: no network mocks, only injected resolvers."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

from storage.url_fetch import (
    IPAddress,
    UrlRefused,
    UrlUnreachable,
    is_public_address,
    make_client,
    open_url,
    parse_ip_literal,
    resolve_host,
)
from tests.support.fileserver import serve_directory

BODY = b"not really a video, but bytes" * 100


@dataclass
class Server:
    base: str
    port: int
    hosts: list[str] = field(default_factory=list)  # Host header of every request received


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.record.hosts.append(self.headers.get("Host"))
        path, query = urlsplit(self.path).path, parse_qs(urlsplit(self.path).query)
        if path == "/video":
            self._reply(200, BODY)
        elif path == "/redirect":
            self._redirect(query["to"][0])
        elif path == "/loop":
            self._redirect("/loop")
        elif path.startswith("/chain/"):  # /chain/3 -> chain/2 (relative) -> ... -> /video
            left = int(path.removeprefix("/chain/"))
            self._redirect(f"{left - 1}" if left > 1 else "../video")
        elif path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[:10])
            self.wfile.flush()
            time.sleep(1.5)
        else:
            self._reply(404, b"missing")

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server() -> Iterator[Server]:
    with _serve() as record:
        yield record


class _serve:
    """A threaded HTTP (or, with `tls`, HTTPS) server on 127.0.0.1."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        port = self.httpd.server_address[1]
        self.httpd.record = Server(f"{'https' if tls else 'http'}://127.0.0.1:{port}", port)  # type: ignore[attr-defined]

    def __enter__(self) -> Server:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self.httpd.record  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(timeout_seconds=5) as http:
        yield http


async def _fetch(client: httpx.AsyncClient, url: str, **kwargs: Any) -> bytes:
    kwargs.setdefault("max_redirects", 5)
    async with open_url(client, url, **kwargs) as response:
        assert response.status_code == 200
        return b"".join([chunk async for chunk in response.aiter_bytes()])


def _assert_quiet(exc: Exception, port: int | None = None) -> None:
    """Failure text says nothing about ports, sockets or the chain of low-level errors."""
    text = str(exc)
    assert "Connection" not in text and "Errno" not in text
    assert port is None or str(port) not in text
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


def _resolver(*answers: list[str]) -> tuple[Any, list[str]]:
    """A resolver answering `answers` in turn (the last one repeated) and recording the hosts asked."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        return [ipaddress.ip_address(a) for a in answers[min(len(asked), len(answers)) - 1]]

    return resolve, asked


async def _no_dns(host: str, port: int) -> list[IPAddress]:
    raise AssertionError(f"unexpected DNS lookup of {host}")


# --- the address classifier ---

REFUSED_ADDRESSES = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.1.1",
    "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "fec0::1", "ff02::1", "ff0e::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:100.64.1.1", "64:ff9b::7f00:1", "64:ff9b::a00:1",
    "2002:7f00:1::1", "2002:a9fe:a9fe::1", "::127.0.0.1", "2001:db8::1", "2001::1",
]  # fmt: skip
PUBLIC_ADDRESSES = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("host", "expected"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("0x7f000001", "127.0.0.1"),
     ("017700000001", "127.0.0.1"), ("::1", "::1"), ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
     ("example.com", None), ("1e100.net", None), ("127.0.0.1.example.com", None)],
)  # fmt: skip
def test_ip_literals_in_every_spelling(host: str, expected: str | None) -> None:
    assert parse_ip_literal(host) == (ipaddress.ip_address(expected) if expected else None)


async def test_the_default_resolver_answers_loopback_for_localhost() -> None:
    assert all(ip.is_loopback for ip in await resolve_host("localhost", 80))


# --- schemes and literal hosts: refused before any lookup or connection ---


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/video.mp4", "gopher://127.0.0.1:70/_x", "javascript:alert(1)",
     "data:video/mp4;base64,AAAA", "//example.com/video.mp4", "http:///nohost", "http://[::1/"],
)  # fmt: skip
async def test_non_http_urls_are_refused(client: httpx.AsyncClient, url: str) -> None:
    with pytest.raises(UrlRefused, match=r"^refused:"):
        await _fetch(client, url, resolve=_no_dns)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0x7f.0.0.1", "127.1", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "100.64.1.1",
     "169.254.169.254", "[fe80::1]", "10.0.0.1"],
)  # fmt: skip
async def test_literal_private_hosts_are_refused_without_dns(
    client: httpx.AsyncClient, server: Server, host: str
) -> None:
    with pytest.raises(UrlRefused, match=r"^refused:") as caught:
        await _fetch(client, f"http://{host}:{server.port}/video", resolve=_no_dns)
    _assert_quiet(caught.value, server.port)
    assert server.hosts == []


# --- loopback and the allow-list ---


async def test_loopback_is_refused_without_the_allow_list(client: httpx.AsyncClient, server: Server) -> None:
    for url in (f"{server.base}/video", f"http://localhost:{server.port}/video"):
        with pytest.raises(UrlRefused, match=r"^refused:") as caught:
            await _fetch(client, url)
        _assert_quiet(caught.value, server.port)
    assert server.hosts == []


@pytest.mark.parametrize(
    ("host", "allowed"), [("127.0.0.1", "127.0.0.1"), ("localhost", "localhost"), ("LocalHost", "LOCALHOST.")]
)
async def test_allowed_hosts_are_fetched(client: httpx.AsyncClient, server: Server, host: str, allowed: str) -> None:
    url = f"http://{host}:{server.port}/video"
    assert await _fetch(client, url, allowed_hosts=frozenset({allowed})) == BODY
    assert server.hosts == [f"{host.lower()}:{server.port}"]  # the real name, though the IP was dialled


async def test_one_private_answer_among_public_ones_is_refused(client: httpx.AsyncClient) -> None:
    resolve, asked = _resolver(["8.8.8.8", "10.0.0.1"])
    with pytest.raises(UrlRefused, match=r"^refused:"):
        await _fetch(client, "http://mixed.test/video", resolve=resolve)
    assert asked == ["mixed.test"]


# --- redirects ---


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]/", "http://2130706433/",
     "http://localhost:{port}/video", "file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/_x"],
)  # fmt: skip
async def test_a_redirect_to_a_refused_address_is_refused_on_the_hop(
    client: httpx.AsyncClient, server: Server, target: str
) -> None:
    url = httpx.URL(f"{server.base}/redirect", params={"to": target.format(port=server.port)})
    with pytest.raises(UrlRefused, match=r"^refused:") as caught:
        await _fetch(client, str(url), allowed_hosts=frozenset({"127.0.0.1"}))
    _assert_quiet(caught.value, server.port)
    assert len(server.hosts) == 1  # the allowed first hop only


async def test_the_project_fileserver_redirect_to_file_is_refused(client: httpx.AsyncClient, tmp_path: Path) -> None:
    with serve_directory(tmp_path) as base, pytest.raises(UrlRefused, match=r"^refused: only http"):
        await _fetch(client, f"{base}/redirect-to-file", allowed_hosts=frozenset({"127.0.0.1"}))


async def test_a_redirect_loop_is_refused(client: httpx.AsyncClient, server: Server) -> None:
    with pytest.raises(UrlRefused, match=r"^refused: too many redirects"):
        await _fetch(client, f"{server.base}/loop", allowed_hosts=frozenset({"127.0.0.1"}), max_redirects=3)
    assert len(server.hosts) == 4


async def test_relative_redirects_within_the_limit_are_followed(client: httpx.AsyncClient, server: Server) -> None:
    allowed = frozenset({"127.0.0.1"})
    assert await _fetch(client, f"{server.base}/chain/3", allowed_hosts=allowed, max_redirects=3) == BODY
    with pytest.raises(UrlRefused, match="too many redirects"):
        await _fetch(client, f"{server.base}/chain/3", allowed_hosts=allowed, max_redirects=2)


# --- pinning ---


async def test_the_connection_goes_to_the_checked_answer_not_a_second_lookup(server: Server) -> None:
    # a rebinding resolver: public first, loopback afterwards; only one lookup may happen per hop
    resolve, asked = _resolver(["8.8.8.8"], ["127.0.0.1"])
    dialled: list[str] = []

    async def record(request: httpx.Request) -> None:
        dialled.append(request.url.host)

    async with make_client(timeout_seconds=1) as http:
        http.event_hooks["request"] = [record]
        with pytest.raises(UrlUnreachable) as caught:  # no internet here: 8.8.8.8 cannot answer
            await _fetch(http, f"http://rebind.test:{server.port}/video", resolve=resolve)
    assert asked == ["rebind.test"]
    assert dialled == ["8.8.8.8"]
    assert server.hosts == []
    _assert_quiet(caught.value, server.port)


async def test_every_hop_is_resolved_once(client: httpx.AsyncClient, server: Server) -> None:
    resolve, asked = _resolver(["127.0.0.1"])
    url = httpx.URL(
        f"http://first.test:{server.port}/redirect", params={"to": f"http://second.test:{server.port}/video"}
    )
    body = await _fetch(client, str(url), allowed_hosts=frozenset({"first.test", "second.test"}), resolve=resolve)
    assert body == BODY
    assert asked == ["first.test", "second.test"]
    assert server.hosts == [f"first.test:{server.port}", f"second.test:{server.port}"]


# --- transient failures say nothing specific ---


async def test_a_closed_port_is_unreachable_with_generic_text(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UrlUnreachable) as caught:
        await _fetch(client, f"http://127.0.0.1:{port}/video", allowed_hosts=frozenset({"127.0.0.1"}))
    assert str(caught.value) == "the video URL could not be reached"
    _assert_quiet(caught.value, port)


async def test_a_stalled_body_is_unreachable(server: Server) -> None:
    async with make_client(timeout_seconds=0.3) as http:
        with pytest.raises(UrlUnreachable):
            await _fetch(http, f"{server.base}/stall", allowed_hosts=frozenset({"127.0.0.1"}))


@pytest.mark.parametrize(("errno", "expected"), [(socket.EAI_NONAME, UrlRefused), (socket.EAI_AGAIN, UrlUnreachable)])
async def test_dns_failures(client: httpx.AsyncClient, errno: int, expected: type[Exception]) -> None:
    async def failing(host: str, port: int) -> list[IPAddress]:
        raise socket.gaierror(errno, "resolver detail that must not leak")

    with pytest.raises(expected) as caught:
        await _fetch(client, "http://video.test/video", resolve=failing)
    assert "detail" not in str(caught.value)


# --- TLS: the certificate is checked against the real name although the IP is dialled ---


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context with a certificate for video.test only, client context trusting its CA)."""
    now = dt.datetime.now(dt.UTC)

    def cert(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert("test CA", ca_key, "test CA", ca_key, ca=True)
    leaf = cert("video.test", leaf_key, "test CA", ca_key, ca=False)
    directory = tmp_path_factory.mktemp("tls")
    (directory / "leaf.pem").write_bytes(leaf.public_bytes(Encoding.PEM))
    (directory / "key.pem").write_bytes(leaf_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(directory / "leaf.pem", directory / "key.pem")
    client_ctx = ssl.create_default_context(cadata=ca.public_bytes(Encoding.PEM).decode())
    return server_ctx, client_ctx


@pytest.mark.parametrize(("host", "ok"), [("video.test", True), ("other.test", False)])
async def test_https_verifies_the_certificate_for_the_url_host(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], host: str, ok: bool
) -> None:
    server_ctx, client_ctx = tls
    resolve, asked = _resolver(["127.0.0.1"])
    async with make_client(timeout_seconds=5, verify=client_ctx) as http:
        with _serve(server_ctx) as https:
            url = f"https://{host}:{https.port}/video"
            if ok:
                assert await _fetch(http, url, allowed_hosts=frozenset({host}), resolve=resolve) == BODY
                assert https.hosts == [f"{host}:{https.port}"]
            else:
                with pytest.raises(UrlRefused, match=r"^refused: the host's TLS certificate") as caught:
                    await _fetch(http, url, allowed_hosts=frozenset({host}), resolve=resolve)
                _assert_quiet(caught.value, https.port)
    assert asked == [host]
