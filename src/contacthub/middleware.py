"""Pure ASGI middleware: access log (keys redacted), body limit, errors, security headers.

Pure ASGI rather than BaseHTTPMiddleware: no extra task per request, bodies stream through.
"""

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contacthub.core.responses import error_response
from contacthub.errors import AppError, PayloadTooLarge, ValidationFailed
from contacthub.logs import scrub

log = logging.getLogger(__name__)
access_log = logging.getLogger("contacthub.access")


class RequestBody:
    """Bodies are JSON and bounded; paths and queries carry no NUL.

    Every body is read as JSON whatever its Content-Type (``curl -d`` sends a form type). The body
    is read here, up to ``max_bytes``: one over that is refused with 413, whether or not
    Content-Length announced it (a chunked body is counted as it arrives). A NUL character in the
    path or the query is refused with 400: no identifier, name or filter can contain one.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            raise ValidationFailed(
                "Invalid request: the URL contains a NUL character (%00)",
                details=[{"field": "url", "message": "may not contain a NUL character"}],
            )
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-type"] + [
            (b"content-type", b"application/json")
        ]
        has_body = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_bytes:
                    raise self._too_large()
                has_body = value != b"0"
            elif name == b"transfer-encoding":
                has_body = True
        if not has_body:  # HTTP/1.1: no Content-Length and no Transfer-Encoding is no body
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before it finished sending
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                raise self._too_large()
            if not message.get("more_body", False):
                break
        pending: Message | None = {"type": "http.request", "body": bytes(body), "more_body": False}

        async def replay() -> Message:
            nonlocal pending
            if pending is not None:
                message, pending = pending, None
                return message
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body is larger than {self.max_bytes} bytes")


class Unexpected:
    """Errors raised in front of the router get their answer here; any other exception is a 500.

    The middlewares inside this one (the rate limit, the body checks, the idempotency layer) only
    raise ``AppError``s; this layer renders them with ``error_response``, the function the routes'
    exception handlers use too, so every error has one rendering. It sits inside the security
    headers (and CORS), so those headers are on every error answer; the error's own headers
    (``Retry-After``, ``Allow``) come with it.

    An unexpected exception becomes a 500 in the envelope, and the connection lives on: Starlette's
    own last-resort handler answers and then re-raises, which makes the server drop a keep-alive
    connection. An exception after the answer has started is re-raised: there is nothing left to
    answer with.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except AppError as error:  # raised by a middleware, outside the routes' handlers
            if started:
                raise
            await error_response(error)(scope, receive, send)
        except Exception:
            if started:
                raise
            log.exception("unexpected failure on %s %s", scope["method"], scrub(scope["path"]))
            await error_response(AppError())(scope, receive, send)


_HEADERS = [(b"x-content-type-options", b"nosniff")]
_API_HEADERS = [*_HEADERS, (b"cache-control", b"no-store")]


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` everywhere; API answers are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        added = _API_HEADERS if scope["path"].startswith("/v1/") else _HEADERS
        names = {name for name, _ in added}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Raw header tuples: Starlette's MutableHeaders costs more than the rest of this.
                kept = [item for item in message.get("headers", ()) if item[0] not in names]
                message["headers"] = kept + added
            await send(message)

        await self.app(scope, receive, with_headers)


class AccessLog:
    """One line per request: method, path and query (API keys redacted, control characters
    escaped: ``logs.scrub``), status, milliseconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope["path"] + (f"?{query}" if query else "")
            access_log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scrub(target),
                status["code"],
                (time.perf_counter() - started) * 1000,
            )
