"""Prometheus metrics at ``/metrics``: requests by route and status, and their latency.

Each server process counts its own requests (scrape every process, or sum them); the route label
is the route's template (``/v1/contacts/{contactId}``), never the raw path, so ids do not explode
the number of series.
"""

import time
from functools import lru_cache

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter(
    "contacthub_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "contacthub_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


@lru_cache(maxsize=4096)
def _series(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    """The labelled children of one route and status (``labels`` takes a lock on every call)."""
    return REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)


class Metrics:
    """ASGI middleware counting every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            if scope["path"].startswith("/v1/") and not route.startswith(("/v1/", "unmatched")):
                route = "/v1" + route  # routes of included routers carry their own part only
            counter, histogram = _series(scope["method"], route, status)
            counter.inc()
            histogram.observe(time.perf_counter() - started)


async def metrics(request: Request) -> Response:
    """The metrics, in Prometheus's text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
