"""The ASGI application: ``create_app(settings)`` wires middleware, error handlers and routes."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from sqlalchemy import text
from starlette.exceptions import HTTPException
from starlette.routing import Match

from contacthub.accounts.auth import SECURITY_SCHEMES, Authenticate
from contacthub.api import v1
from contacthub.config import Settings, get_settings
from contacthub.contacts.lookup import PhoneLookup
from contacthub.core.db import make_engine, read
from contacthub.core.driver import DriverConnections
from contacthub.core.responses import JSON, error_response
from contacthub.errors import (
    AppError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    UnreadableBody,
    ValidationFailed,
    error_responses,
)
from contacthub.idempotency.middleware import Idempotency, sweep_every
from contacthub.logs import install_redaction
from contacthub.metrics import Metrics, metrics
from contacthub.middleware import AccessLog, RequestBody, SecurityHeaders, Unexpected
from contacthub.ratelimit import RateLimit, make_buckets

log = logging.getLogger(__name__)

DESCRIPTION = """\
The contacts backend for conversational businesses, compatible with the DM Champ Contacts API.

**Auth**: every `/v1` route needs an API key, as the `apiKey` query parameter, an `X-API-Key`
header, or `Authorization: Bearer <key>`.

**Errors** all have one shape: `{"success": false, "error": "<code>", "message": "<sentence>"}`,
plus `details: [{field, message}]` for invalid input and `contactId` where an existing contact is
the cause. Invalid input is `400`, never `422`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, for these settings (the environment's when none are given)."""
    settings = settings or get_settings()
    install_redaction()  # keys and control characters out of every log line, however served
    app = FastAPI(
        lifespan=_lifespan,
        title="ContactHub",
        version="1.0.0",
        description=DESCRIPTION,
        default_response_class=JSON,
        redirect_slashes=False,
        # FastAPI's built-in OpenTelemetry hooks look up the tracer and meter providers on every
        # request (about 3% of a phone lookup); metrics here are Prometheus's (metrics.py).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    app.state.driver_connections = DriverConnections(
        settings.database_url, async_limit=settings.db_pool_size
    )

    app.include_router(v1)
    _add_operations(app)
    _add_error_handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    # Each add wraps the ones before it, so this reads from the inside out. From the outside:
    # access log (sees every answer) → metrics → security headers (on every answer, 429 and 413 too) →
    # CORS → errors raised by the layers below rendered, unexpected exceptions to 500 → the caller
    # (key → principal, once) → rate limit → body limit and JSON → idempotent replays → the phone
    # lookup's hot path (contacts/lookup.py) → the routes.
    app.add_middleware(PhoneLookup, connections=app.state.driver_connections)
    app.add_middleware(Idempotency, engine=app.state.engine)
    app.add_middleware(RequestBody, max_bytes=settings.max_body_bytes)
    if settings.rate_limit > 0:
        app.state.buckets = make_buckets(
            settings.rate_limit, settings.rate_burst, settings.redis_url
        )
        app.add_middleware(RateLimit, buckets=app.state.buckets)
    app.add_middleware(
        Authenticate, engine=app.state.engine, connections=app.state.driver_connections
    )
    app.add_middleware(Unexpected)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Idempotency-Key"],
        )
    app.add_middleware(SecurityHeaders)
    if settings.metrics:
        app.add_middleware(Metrics)
        app.add_route("/metrics", metrics, include_in_schema=False)
    if settings.access_log:
        app.add_middleware(AccessLog)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Idempotency records older than a day are forgotten on a timer (at startup, then hourly).
    stop = asyncio.Event()
    sweeper = asyncio.create_task(sweep_every(app.state.engine, stop))
    # The in-process worker (CONTACTHUB_WORKER, serve --no-worker): a thread with its own event
    # loop and engine, so its sync database work never blocks this loop.
    stop_worker = None
    if app.state.settings.worker:
        from contacthub.worker.service import start_thread

        worker_engine = make_engine(app.state.settings.database_url, pool_size=2)
        stop_worker = start_thread(worker_engine, app.state.settings)
    yield
    if stop_worker is not None:
        stop_worker()
        worker_engine.dispose()  # its connections are closed here, not whenever they are collected
    stop.set()
    await sweeper  # a sweep under way ends before the engine is disposed
    # The one place connections are closed: the engine's pool, the driver connections (including
    # PostgreSQL's async ones), Redis.
    if getattr(app.state, "buckets", None) is not None:
        await app.state.buckets.aclose()
    app.state.engine.dispose()
    app.state.driver_connections.close()


def _add_operations(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> JSON:
        """The process is up."""
        return JSON({"status": "ok"})

    @app.get("/readyz", tags=["operations"], responses=error_responses(503))
    async def readyz(request: Request) -> JSON:
        """The database answers."""
        try:
            with read(request.app.state.engine) as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            log.exception("readiness check failed")
            raise ServiceUnavailable() from None
        return JSON({"status": "ready"})


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    details = []
    for error in exc.errors():
        where = [str(part) for part in error["loc"]]
        if where and where[0] in ("body", "query", "path", "header"):
            where = where[1:]
        field = ".".join(where) or "body"
        kind = error["type"]
        if kind == "extra_forbidden":
            message = "is not a field of this request (see /docs for the accepted fields)"
        elif kind == "missing":
            message = "is required" if where else "a JSON body is required"
        elif kind == "json_invalid":
            field, message = (
                "body",
                f"is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})",
            )
        elif kind in ("model_attributes_type", "model_type", "dict_type") and not where:
            message = "must be a JSON object"
        elif kind == "value_error":
            message = str(error["ctx"]["error"])
        else:
            message = error["msg"][0].lower() + error["msg"][1:]
        details.append({"field": field, "message": message})
    return details


def _add_error_handlers(app: FastAPI) -> None:
    """Errors raised in routes, each turned into an ``AppError`` and rendered by ``error_response``
    (the middlewares' errors are rendered by ``Unexpected``, with the same function)."""

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSON:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSON:
        return error_response(ValidationFailed.of(_field_errors(exc)))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSON:
        error: AppError
        if exc.status_code == 404:
            error = NotFound(f"No route matches {request.method} {request.url.path}")
        elif exc.status_code == 405:
            allowed = _allowed_methods(request)
            error = MethodNotAllowed(
                f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        elif exc.status_code == UnreadableBody.status_code:
            # FastAPI's "error parsing the body": JSON its parser gave up on (bytes that are not
            # UTF-8, nesting past the parser's depth), answered as any other malformed JSON.
            error = ValidationFailed.field("body", f"is not valid JSON ({_unreadable(exc)})")
        else:  # no route here raises another status; keep it if one ever does
            status = type("UnreadableBody", (UnreadableBody,), {"status_code": exc.status_code})
            error = status(str(exc.detail))
        return error_response(error)


def _unreadable(exc: HTTPException) -> str:
    """Why FastAPI could not parse a body, in the words of the JSON error messages."""
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return "the bytes are not UTF-8 text"
    if isinstance(cause, RecursionError):
        return "nested too deeply"
    return "parse error"


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on the request's path (Starlette's 405 names only one)."""
    return [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, without FastAPI's 422 (invalid input here is 400, in the error envelope)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for route, path in schema["paths"].items():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
            if route.startswith("/v1/"):
                operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    app.openapi_schema = schema
    return schema
