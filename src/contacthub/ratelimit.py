"""Rate limiting: a token bucket per live API key, per client address for everything else.

A key has a bucket of its own only once it is known: the limit runs the request's key check
(``Caller.principal()``, done once and remembered for the layers after it). A request without a
key, or with a malformed, unknown or revoked one, is charged to its client address, so inventing
keys does not escape the limit. The address is the connection's peer; ``X-Forwarded-For`` counts
only from the proxies in ``CONTACTHUB_TRUSTED_PROXIES`` (``contacthub serve`` passes them to
uvicorn), so a client cannot name itself anew on every request.

``CONTACTHUB_RATE_LIMIT`` tokens a second refill a bucket of ``CONTACTHUB_RATE_BURST``; a request
takes one. Buckets live in the process, or in Redis when ``CONTACTHUB_REDIS_URL`` is set so that
every process shares them. Every /v1 answer says where the caller stands:

    X-RateLimit-Limit      the bucket's size (the burst)
    X-RateLimit-Remaining  whole requests left right now
    X-RateLimit-Reset      seconds until the bucket is full again

and a request with no token left is answered 429 with ``Retry-After`` (seconds). If Redis does not
answer, requests are let through (and logged): a limiter must not take the API down with it.
"""

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contacthub.accounts.auth import caller_of
from contacthub.errors import RateLimited, Unauthorized

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the bucket said: allowed or not, and the tokens left afterwards."""

    allowed: bool
    tokens: float


class Buckets(Protocol):
    rate: float
    burst: int

    async def take(self, bucket: str) -> Verdict: ...

    async def aclose(self) -> None: ...


class LocalBuckets:
    """Buckets in this process's memory (the default; one process, or limits per process)."""

    MAX_BUCKETS = 100_000

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, bucket: str) -> Verdict:
        now = time.monotonic()
        tokens, then = self._state.pop(bucket, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._state[bucket] = (tokens, now)
        if len(self._state) > self.MAX_BUCKETS:  # forget the least recently seen caller
            self._state.popitem(last=False)
        return Verdict(allowed, tokens)

    async def aclose(self) -> None:
        self._state.clear()


# Atomic in Redis, on Redis's own clock (so processes with skewed clocks agree).
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets shared by every process through Redis."""

    def __init__(self, url: str, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_TAKE)

    async def take(self, bucket: str) -> Verdict:
        try:
            allowed, tokens = await self._script(
                keys=[f"contacthub:rate:{bucket}"], args=[self.rate, self.burst]
            )
        except RedisError as exc:
            log.warning(
                "rate limiter: Redis does not answer (%s); letting the request through", exc
            )
            return Verdict(True, float(self.burst))
        return Verdict(bool(allowed), float(tokens))

    async def aclose(self) -> None:
        await self._redis.aclose()


async def _bucket(scope: Scope) -> str:
    """Whom a request is charged to: its key once the key is known to be live (bucketed by its
    hash: Redis never holds a key in clear), else its client address. A missing, malformed,
    unknown or revoked key is the address: invented keys get no bucket of their own."""
    caller = caller_of(scope)
    if caller.checkable_hash() is not None:
        try:
            await caller.principal()  # the request's one key check, remembered for the layers after
        except Unauthorized:
            pass
        else:
            assert caller.key_hash is not None
            return f"key:{caller.key_hash[:32]}"
    return f"ip:{(scope.get('client') or ('-',))[0]}"


def make_buckets(rate: float, burst: int, redis_url: str | None) -> Buckets:
    """Buckets in Redis when a URL is given, else in this process."""
    return RedisBuckets(redis_url, rate, burst) if redis_url else LocalBuckets(rate, burst)


class RateLimit:
    """ASGI middleware applying the buckets to every /v1 request; raises ``RateLimited``, which
    ``Unexpected`` (middleware.py) renders."""

    def __init__(self, app: ASGIApp, *, buckets: Buckets) -> None:
        self.app = app
        self.buckets = buckets
        self.rate = buckets.rate
        self.burst = buckets.burst

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        verdict = await self.buckets.take(await _bucket(scope))
        headers = {
            "X-RateLimit-Limit": str(self.burst),
            "X-RateLimit-Remaining": str(math.floor(verdict.tokens)),
            "X-RateLimit-Reset": str(math.ceil((self.burst - verdict.tokens) / self.rate)),
        }
        if not verdict.allowed:
            retry_after = str(max(1, math.ceil((1 - verdict.tokens) / self.rate)))
            raise RateLimited(
                f"Too many requests: the limit is {self.rate:g} a second; retry in {retry_after} s",
                headers={**headers, "Retry-After": retry_after},
            )

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, with_headers)
