"""Sending one delivery: Standard Webhooks signing, the SSRF guard, and the HTTP call.

The guard is checked twice: when a URL is given (its scheme, its host's syntax, and its host when
that is an address or ``localhost``), and on every connection, against the addresses the name
resolves to *then*. Only globally routable unicast addresses pass (an IPv6 address that carries an
IPv4 one — mapped, 6to4, NAT64 — is judged by the IPv4 one; Teredo never passes). The check is in
the connection pool's network backend: it resolves the name once, refuses if any address is not
allowed, and connects to the checked address itself. The pool keys its connections by the URL's
host *name*, and TLS gets that name (for SNI and the certificate check), so a connection opened
for one name is never reused for another that shares its address, and a DNS answer that changes
between the check and the connection cannot slip through.
"""

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import httpx2 as httpx

log = logging.getLogger(__name__)

# A delivery succeeds with a 2xx within this many seconds of being sent (API.md §7).
TIMEOUT_SECONDS = 10.0
# A Retry-After is honoured up to a day.
MAX_RETRY_AFTER = 86_400
# Of a response, only its status and Retry-After matter: this much of its body is read (so a small
# answer leaves its connection reusable), the rest is never read (the connection is closed).
MAX_RESPONSE_BYTES = 4096
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# What the tenant sees when an address is refused: not which address a name resolved to (that
# would map the internal network for them).
ADDRESS_NOT_ALLOWED = "address not allowed"
_REFUSED = "may not point at a private, loopback, link-local or other non-public address"
# A DNS name (labels of letters, digits, '-' and '_'), as urlsplit lowercases it.
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?"
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` under the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def is_private(address: str) -> bool:
    """Whether an address is one a webhook may not reach: anything but a globally routable
    unicast address (private, loopback, link-local, carrier-grade NAT, reserved…)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:
            return True
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
        if embedded is not None:
            ip = embedded
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why a webhook may not have this URL, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises on a port that is not a number)
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        return "is not a URL"
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not host:
        return "must name a host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None and not _HOST_NAME.fullmatch(_ascii(host)):
        return "must name a valid host"
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return _REFUSED
    if address is None:
        return None  # a name: checked when connecting, against what it resolves to then
    return _REFUSED if is_private(host) else None


def _ascii(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


class AddressRefused(Exception):
    """The name resolved to an address a webhook may not reach (see ``ADDRESS_NOT_ALLOWED``)."""


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """The pool's network backend: connects only to addresses it has checked (see the module)."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.inner = httpcore2.AnyIOBackend()

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to now."""
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        if not self.allow_private:
            try:
                addresses = [str(ipaddress.ip_address(host))]
            except ValueError:
                try:
                    addresses = await self.resolve(host, port)
                except OSError as exc:
                    raise httpcore2.ConnectError(f"cannot resolve {host}") from exc
            refused = [address for address in addresses if is_private(address)]
            if refused or not addresses:
                log.warning(
                    "webhook host %s refused: it resolves to %s", host, refused or "nothing"
                )
                raise AddressRefused(ADDRESS_NOT_ALLOWED)
            host = addresses[0]
        return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def client(*, allow_private: bool, max_connections: int = 100) -> httpx.AsyncClient:
    """The client the worker delivers with: guarded, no redirects (a 3xx is a failure).

    Its caller keeps at most ``max_connections`` requests in flight, so none waits for a pooled
    connection: the 10 s of a delivery are the receiver's.
    """
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=20)
    transport = httpx.AsyncHTTPTransport(limits=limits)
    transport._pool = httpcore2.AsyncConnectionPool(  # the one way to give it a network backend
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(allow_private=allow_private),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=5.0),
        follow_redirects=False,
        headers={"User-Agent": "ContactHub-Webhooks/1"},
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got."""

    status: int | None  # the response's status; None when there was none
    error: str | None
    duration_ms: int
    retry_after: int | None = None  # seconds, when the response asked for a wait

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_after(value: str | None, now: datetime) -> int | None:
    """A ``Retry-After`` header's wait in seconds (delta or HTTP date), at most a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(int(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, min(int((when - now).total_seconds()), MAX_RETRY_AFTER))


async def send(
    http: httpx.AsyncClient,
    url: str,
    *,
    msg_id: str,
    keys: list[str],
    body: bytes,
    now: datetime,
) -> Outcome:
    """POST one signed event; never raises for what the receiver or the network did."""
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(key, msg_id, timestamp, body) for key in keys),
    }
    started = time.perf_counter()
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            async with http.stream("POST", url, content=body, headers=headers) as response:
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_BYTES:
                        break  # the rest is never read: closing drops the connection
    except TimeoutError:
        return Outcome(None, f"no answer within {TIMEOUT_SECONDS:g} s", _since(started))
    except AddressRefused:
        return Outcome(None, ADDRESS_NOT_ALLOWED, _since(started))
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000], _since(started))
    error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Outcome(
        response.status_code,
        error,
        _since(started),
        retry_after(response.headers.get("retry-after"), now),
    )


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
