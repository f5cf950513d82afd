"""Who a request acts as, resolved once: the ``Authenticate`` layer and the routes' dependency.

``Authenticate`` (ASGI, in front of the rate limit) reads the presented key of every /v1 request
once (``core.security.presented_key``: the ``apiKey`` query parameter, else the first
``X-API-Key`` header, else ``Authorization: Bearer``) and puts a ``Caller`` in the request's
scope, ``scope["state"]["caller"]`` (``request.state.caller``), as polar's AuthSubjectMiddleware
does. Every later layer reads it: the rate limit buckets by ``Caller.key_hash``, and the
idempotency layer, the phone lookup (contacts/lookup.py) and ``current_principal`` (the
dependency every /v1 route runs first, api.py) await ``Caller.principal()``.

``Caller.principal()`` is the one key check: ``repository.LIVE_KEY`` (the live key's row by its
hash), read on a driver connection (core/driver.py, a tenth of the cost of a SQLAlchemy read
transaction), through SQLAlchemy if that fails, and ``principal_from`` on its row. It runs at most
once per request, on first use, and remembers the principal or the 401: a request refused before
anyone asks (a 429, a 413, a NUL in the URL) costs no lookup. The phone lookup is the one caller
that runs the same statement with the contact joined onto it (one statement instead of two: 20 %
of the lookup's CPU, measured) and hands the row over with ``Caller.settle``. No key is cached
across requests, so a revoked key is refused on the next one.

Paths outside /v1 (/healthz, /readyz, /metrics, /openapi.json, /docs) get no caller and need no
key.
"""

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Receive, Scope, Send

from contacthub.accounts import repository
from contacthub.accounts.service import Principal, principal_from, record_use
from contacthub.core import db
from contacthub.core.clock import utcnow
from contacthub.core.driver import DriverConnections
from contacthub.core.security import hash_key, looks_like_key, presented_key
from contacthub.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)

# The three ways to send a key, for the OpenAPI document (app.py adds them to every /v1
# operation); presented_key reads them. They are not FastAPI security dependencies: three extra
# dependencies per request cost more than the key check.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "APIKeyQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "apiKey",
        "description": "The API key as a query parameter (as in the original API)",
    },
    "APIKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The API key in a header",
    },
    "HTTPBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <API key>",
    },
}

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MISSING = (
    "Missing API key: send it as the apiKey query parameter, "
    "an X-API-Key header or Authorization: Bearer <key>"
)


class Caller:
    """The request's presented key, and the principal it stands for once someone asks."""

    __slots__ = ("_authenticate", "_error", "_key", "_principal", "key_hash")

    def __init__(self, key: str | None, authenticate: "Authenticate") -> None:
        self._key = key
        # Any presented text is hashed (the rate limit buckets malformed keys by it too).
        self.key_hash = hash_key(key) if key else None
        self._authenticate = authenticate
        self._principal: Principal | None = None
        self._error: Unauthorized | None = None

    async def principal(self) -> Principal:
        """Who the request acts as; raises ``Unauthorized`` (the same one every time) without a
        live key."""
        if self._principal is not None:
            return self._principal
        if self._error is None:
            try:
                self._principal = principal_from(await self._live_key())
                return self._principal
            except Unauthorized as error:
                self._error = error
        raise self._error

    def checkable_hash(self) -> str | None:
        """The hash to run the key check with, or None when the key is missing or malformed
        (``principal()`` then refuses it without a query)."""
        if self._key is None or not looks_like_key(self._key):
            return None
        return self.key_hash

    def settle(self, row: Mapping[str, Any] | None) -> Principal | None:
        """Take the result of the key check run inside another statement (the phone lookup joins
        the contact onto ``repository.LIVE_KEY``'s own query): the principal, or None (and the 401
        remembered) when the key is not live. ``principal()`` then answers without a query."""
        try:
            self._principal = principal_from(row)
        except Unauthorized as error:
            self._error = error
        return self._principal

    async def _live_key(self) -> Mapping[str, Any] | None:
        if self._key is None or self.key_hash is None:
            raise Unauthorized(_MISSING)
        if not looks_like_key(self._key):
            raise Unauthorized()  # cheap shape check: junk never reaches the database
        return await self._authenticate.live_key(self.key_hash)


class Authenticate:
    """ASGI middleware: a ``Caller`` in the scope of every /v1 request (see the module)."""

    def __init__(self, app: ASGIApp, *, engine: Engine, connections: DriverConnections) -> None:
        self.app = app
        self.engine = engine
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            scope.setdefault("state", {})["caller"] = Caller(presented_key(scope), self)
        await self.app(scope, receive, send)

    async def live_key(self, key_hash: str) -> Mapping[str, Any] | None:
        """The key check: the unrevoked key's row (``repository.LIVE_KEY``), or None."""
        try:
            rows = await self.connections.afetch(repository.LIVE_KEY, key_hash=key_hash)
        except self.connections.errors:
            log.warning("the key lookup on a driver connection failed; trying through SQLAlchemy")
            with db.read(self.engine) as conn:
                return repository.find_live_key(conn, key_hash)
        return rows[0] if rows else None


def caller_of(scope: Scope) -> Caller:
    """The caller ``Authenticate`` put in a /v1 request's scope."""
    caller: Caller = scope["state"]["caller"]
    return caller


async def current_principal(request: Request) -> Principal:
    """Authenticate the request's key; a read-only key may only read."""
    principal = await caller_of(request.scope).principal()
    if principal.read_only and request.method not in _READ_METHODS:
        raise Forbidden()
    request.state.key_id = principal.key_id  # the actor of the request's events (core/deps.py)
    now = utcnow()
    if principal.use_is_due(now):
        try:
            with db.write(request.app.state.engine) as conn:
                record_use(conn, principal, now)
        except OperationalError:  # a busy database must not fail the request over a hint
            log.warning("could not record the use of key %s", principal.key_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
