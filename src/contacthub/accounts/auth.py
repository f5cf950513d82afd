"""The request's principal, from its API key: the dependency every /v1 route runs first."""

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError

from contacthub.accounts import repository
from contacthub.accounts.service import Principal, hash_of_key, principal_from, record_use
from contacthub.core import db
from contacthub.core.clock import utcnow
from contacthub.core.db import DriverConnections
from contacthub.core.security import presented_key
from contacthub.errors import Forbidden

log = logging.getLogger(__name__)

# The three ways to send a key, for the OpenAPI document (app.py adds them to every /v1
# operation); presented_key reads them, and the rate limiter shares it. They are not FastAPI
# security dependencies: three extra dependencies per request cost more than the key check.
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


async def current_principal(request: Request) -> Principal:
    """Authenticate the request's key; a read-only key may only read."""
    key = presented_key(request.headers, request.query_params)
    engine = request.app.state.engine
    principal = principal_from(await _live_key(request, hash_of_key(key)))
    if principal.read_only and request.method not in _READ_METHODS:
        raise Forbidden()
    now = utcnow()
    if principal.use_is_due(now):
        try:
            with db.write(engine) as conn:
                record_use(conn, principal, now)
        except OperationalError:  # a busy database must not fail the request over a hint
            log.warning("could not record the use of key %s", principal.key_id)
    return principal


async def _live_key(request: Request, key_hash: str) -> Mapping[str, Any] | None:
    """The key's row, read on a driver connection (a tenth of the cost of a SQLAlchemy read
    transaction, docs/architecture.md); through SQLAlchemy if that fails. Never cached, so a
    revoked key is refused on the next request.
    """
    connections: DriverConnections = request.app.state.driver_connections
    try:
        rows = await connections.afetch(repository.LIVE_KEY, key_hash=key_hash)
    except connections.errors:
        log.warning("the key lookup on a driver connection failed; trying through SQLAlchemy")
        with db.read(request.app.state.engine) as conn:
            return repository.find_live_key(conn, key_hash)
    return rows[0] if rows else None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
