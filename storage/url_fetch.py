"""Fetch untrusted http(s) URLs: public addresses only, checked after DNS on every hop and pinned.

The host is resolved here, every answer is checked, and the request is sent to the checked IP itself
(`Host` header and TLS `sni_hostname` carry the real name; httpcore verifies the certificate against
`sni_hostname`), so no second lookup can swap the address (DNS rebinding). Redirects are followed here,
each hop checked the same way. Failure text never says which address, port or socket error was met, so
the fetcher cannot be used as a port scanner.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

USER_AGENT = "ugc-engine/0.1 (benchmark ingest)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
UNREACHABLE = "the video URL could not be reached"
MAX_CONNECT_ATTEMPTS = 3  # checked addresses of one host tried in turn (e.g. ::1 then 127.0.0.1)
_SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not private, not public
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_PERMANENT_DNS_ERRORS = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}

log = logging.getLogger(__name__)


class UrlFetchError(Exception):
    """Base of the two outcomes a caller has to tell apart."""


class UrlRefused(UrlFetchError, ValueError):
    """Permanent: the URL (or a redirect) is not one we fetch. The message starts with "refused:"."""


class UrlUnreachable(UrlFetchError):
    """Transient: DNS temporarily failing, timeouts, resets; worth retrying."""

    def __init__(self) -> None:
        super().__init__(UNREACHABLE)


def make_client(*, timeout_seconds: float, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """The client `open_url` expects: it follows redirects itself, so this one never does."""
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=httpx.Timeout(timeout_seconds),
        headers={"User-Agent": USER_AGENT},
        verify=verify,
        # an environment proxy would resolve names itself and ignores sni_hostname (httpcore#934)
        trust_env=False,
        # requests go to IPs, so a jar would key cookies by address and hand them to other hosts
        cookies=httpx.Cookies(CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))),
    )


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 address really reaches."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses (the embedded IPv4 address decides for v6 forms)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if (v4 := embedded_ipv4(ip)) is not None:
            return is_public_address(v4)
        if ip.is_site_local:  # deprecated fec0::/10, still is_global in Python 3.11
            return False
    elif ip in _SHARED_SPACE:
        return False
    flags = (ip.is_private, ip.is_loopback, ip.is_link_local, ip.is_multicast, ip.is_reserved, ip.is_unspecified)
    return ip.is_global and not any(flags)


def parse_ip_literal(host: str) -> IPAddress | None:
    """An IP written as a host, including forms inet_aton accepts (2130706433, 0x7f.1, 127.1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # only all-numeric forms: inet_aton also accepts "127.0.0.1 anything"
    if host[:1].isdigit() and all(c in "0123456789abcdefx." for c in host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address of `host` (getaddrinfo runs in the loop's executor, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0])) for info in infos]


def _checked_url(url: httpx.URL | str, base: httpx.URL | None = None) -> httpx.URL:
    try:
        parsed = base.join(url) if base is not None else httpx.URL(url)
    except httpx.InvalidURL:
        raise UrlRefused("refused: the URL is not valid") from None
    if parsed.scheme not in {"http", "https"}:
        raise UrlRefused("refused: only http:// and https:// URLs are fetched")
    if not parsed.host:
        raise UrlRefused("refused: the URL has no host")
    return parsed


async def _addresses(
    url: httpx.URL, allowed: frozenset[str], resolve: Resolver, dns_seconds: float | None
) -> list[IPAddress]:
    """The addresses to connect to, all checked; one lookup per hop, never repeated for the connection."""
    host = url.raw_host.decode("ascii")
    literal = parse_ip_literal(host)
    if literal is not None:
        found = [literal]
    else:
        try:
            found = await asyncio.wait_for(
                resolve(host, url.port or (443 if url.scheme == "https" else 80)), dns_seconds
            )
        except socket.gaierror as exc:
            if exc.errno in _PERMANENT_DNS_ERRORS:
                raise UrlRefused("refused: the host does not resolve") from None
            log.info("url fetch: DNS lookup failed: %s", exc)
            raise UrlUnreachable from None
        except (TimeoutError, OSError) as exc:
            log.info("url fetch: DNS lookup failed: %s", exc)
            raise UrlUnreachable from None
        except UnicodeError:
            raise UrlRefused("refused: the URL is not valid") from None
    found = list(dict.fromkeys(found))
    if not found:
        raise UrlRefused("refused: the host does not resolve")
    if host.rstrip(".").lower() not in allowed and not all(is_public_address(ip) for ip in found):
        # any private answer refuses: _send_pinned may dial any of them, and a mixed answer is a rebinding tell
        raise UrlRefused("refused: the URL does not point to a public address")
    return found


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _send_pinned(client: httpx.AsyncClient, url: httpx.URL, addresses: list[IPAddress]) -> httpx.Response:
    """GET `url` over a connection to one of the checked `addresses`, never to a fresh lookup."""
    headers = {"Host": url.netloc.decode("ascii"), "Connection": "close"}  # close: no pooled reuse by IP
    extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
    for ip in addresses[:MAX_CONNECT_ATTEMPTS]:
        request = client.build_request("GET", url.copy_with(host=str(ip)), headers=headers, extensions=extensions)
        try:
            return await client.send(request, stream=True, follow_redirects=False)
        except httpx.ConnectError as exc:
            if _is_certificate_error(exc):
                raise UrlRefused("refused: the host's TLS certificate is not valid for its name") from None
            log.info("url fetch: connect failed: %s", exc)  # try the next checked address
        except httpx.TransportError as exc:
            log.info("url fetch: request failed: %s", exc)
            raise UrlUnreachable from None
    raise UrlUnreachable


@asynccontextmanager
async def open_url(
    client: httpx.AsyncClient,
    url: str,
    *,
    allowed_hosts: Collection[str] = frozenset(),
    max_redirects: int,
    resolve: Resolver = resolve_host,
) -> AsyncIterator[httpx.Response]:
    """The streamed final response for `url` (any status but a redirect); the caller checks the status.

    Raises UrlRefused (permanent) or UrlUnreachable (transient), also for transport errors raised while
    the caller iterates the body inside the `async with`.
    """
    allowed = frozenset(h.strip().strip("[]").rstrip(".").lower() for h in allowed_hosts)
    current = _checked_url(url)
    for hop in range(max_redirects + 1):
        addresses = await _addresses(current, allowed, resolve, client.timeout.connect)
        response = await _send_pinned(client, current, addresses)
        location = response.headers.get("location")
        if response.status_code not in REDIRECT_STATUSES or location is None:
            try:
                yield response
            except httpx.TransportError as exc:
                log.info("url fetch: reading the body failed: %s", exc)
                raise UrlUnreachable from None
            except httpx.DecodingError:
                raise UrlRefused("refused: the response body is not validly encoded") from None
            finally:
                await response.aclose()
            return
        await response.aclose()
        if hop == max_redirects:
            break
        current = _checked_url(location, base=current)  # relative Locations resolve against the real URL
    raise UrlRefused("refused: too many redirects")
