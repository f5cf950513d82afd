"""Sending one delivery: Standard Webhooks signing, the SSRF guard, and the HTTP call.

The guard is checked twice: when a URL is given (its scheme, and its host when that is an address
or ``localhost``), and on every connection, against the addresses the name resolves to *then*.
The transport resolves the name once, refuses if any address is private, loopback or link-local,
and connects to the checked address itself (with the name in the Host header and for TLS), so a
DNS answer that changes between the check and the connection cannot slip through.
"""

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx

# A delivery succeeds with a 2xx within this many seconds (API.md §7).
TIMEOUT_SECONDS = 10.0
# A Retry-After is honoured up to a day.
MAX_RETRY_AFTER = 86_400
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` under the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def is_private(address: str) -> bool:
    """Whether an address is one a webhook may not reach (private, loopback, link-local…)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why a webhook may not have this URL, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not host:
        return "must name a host"
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return "may not point at a private, loopback or link-local address"
    try:
        private = is_private(host)
    except ValueError:
        return None  # a name: checked when connecting, against what it resolves to then
    return "may not point at a private, loopback or link-local address" if private else None


class AddressRefused(httpx.ConnectError):
    """The name resolved to an address a webhook may not reach."""


class GuardedTransport(httpx.AsyncHTTPTransport):
    """A transport that connects only to addresses it has checked (see the module)."""

    def __init__(self, *, allow_private: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow_private = allow_private

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to now."""
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.allow_private:
            return await super().handle_async_request(request)
        host = request.url.host
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            port = request.url.port or (443 if request.url.scheme == "https" else 80)
            try:
                addresses = await self.resolve(host, port)
            except OSError as exc:
                raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from exc
        refused = [address for address in addresses if is_private(address)]
        if refused or not addresses:
            raise AddressRefused(
                f"{host} resolves to {', '.join(refused) or 'nothing'}: a private, loopback or "
                "link-local address",
                request=request,
            )
        # The checked address is the one connected to; the name stays in Host and in TLS's SNI
        # (and the certificate is checked against it).
        request.url = request.url.copy_with(host=addresses[0])
        request.extensions = {**request.extensions, "sni_hostname": host}
        return await super().handle_async_request(request)


def client(*, allow_private: bool, max_connections: int = 100) -> httpx.AsyncClient:
    """The client the worker delivers with: guarded, no redirects (a 3xx is a failure)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=20)
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_private=allow_private, limits=limits),
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
            response = await http.post(url, content=body, headers=headers)
    except TimeoutError:
        return Outcome(None, f"no answer within {TIMEOUT_SECONDS:g} s", _since(started))
    except httpx.HTTPError as exc:
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
