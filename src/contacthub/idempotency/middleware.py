"""``Idempotency-Key`` on POST, PUT, PATCH and DELETE: a retried request is answered, not redone.

The first request with a key claims it (a committed row), runs, and stores its answer. The same
key with the same request within 24 hours replays that answer (``Idempotent-Replayed: true``)
without running again; with another request it is ``409 idempotency_conflict``; while the first
is still running it is ``409 idempotency_in_progress``. Answers of 5xx are not kept, so a retry
after a failure on our side runs again; so are keys whose request died (unanswered for
ABANDONED_AFTER, ten minutes: longer than any request runs).

A read-only key is refused (403) before anything is claimed: it writes no record and is never
replayed a write's answer. A stored answer records the contacts it names (its id fields and the
request's path); erasing one of them deletes the record in the erasing transaction. Records
older than a day are swept on a timer (``sweep_every``, started by the app's lifespan): the one
sweep of them, in every server process, whether or not it runs a worker (cheap and idempotent).

The claim and the store are separate from the request's own transaction, so a crash between the
request's commit and the store leaves the key claimed until ABANDONED_AFTER, and a retry after
that runs again: closing that needs the claim inside the request's transaction.

Keys belong to an account: two accounts may use the same key without meeting. The account is
the request's caller (``accounts.auth.Authenticate``), resolved once for the whole request; a
request without a live key goes straight on, and the API answers its 401.

Errors (``IdempotencyConflict``, ``IdempotencyInProgress``, a malformed key) are raised; the
``Unexpected`` middleware renders them. The claim, the store and the sweep are each a short
transaction of their own, with the request's own run (which awaits) between them, never inside.
"""

import asyncio
import hashlib
import logging
from contextlib import suppress
from datetime import timedelta

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contacthub.accounts.auth import caller_of
from contacthub.core import db
from contacthub.core.clock import utcnow
from contacthub.core.responses import JSON
from contacthub.errors import (
    Forbidden,
    IdempotencyConflict,
    IdempotencyInProgress,
    Unauthorized,
    ValidationFailed,
)
from contacthub.idempotency import repository

log = logging.getLogger(__name__)

KEEP_FOR = timedelta(hours=24)
# A claimed key with no answer after this long belongs to a request that died. Far longer than
# any request runs: SQLite's busy timeout is 30 s, the slowest call measured (a bulk of 10,000 ids
# on PostgreSQL) takes seconds; a live request taken over would run twice.
ABANDONED_AFTER = timedelta(minutes=10)
SWEEP_EVERY_SECONDS = 3600.0
_STORE_ATTEMPTS = 3
_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def fingerprint(scope: Scope, body: bytes) -> str:
    """What makes two requests the same: method, path, query (less the key) and the JSON body."""
    query = sorted(
        (k, v) for k, v in QueryParams(scope["query_string"]).multi_items() if k != "apiKey"
    )
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], orjson.dumps(query).decode()):
        digest.update(part.encode() + b"\0")
    digest.update(canonical)
    return digest.hexdigest()


class Idempotency:
    """ASGI middleware; it sits inside the body limit, so bodies here are bounded."""

    def __init__(self, app: ASGIApp, *, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        if key is None or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255:
            raise ValidationFailed.field("Idempotency-Key", "must be 1 to 255 characters")
        try:
            principal = await caller_of(scope).principal()
        except Unauthorized:
            await self.app(scope, receive, send)  # the API answers the 401 its own way
            return
        if principal.read_only:  # every method here writes: refused before anything is claimed
            raise Forbidden()
        account_id = principal.account_id
        body = await _read_body(receive)
        request = fingerprint(scope, body)
        now = utcnow()
        with db.write(self.engine) as conn:
            record = None
            if not repository.claim(conn, account_id, key, request, now):
                record = repository.get(conn, account_id, key)
                assert record is not None
                stale = record.created_at < now - KEEP_FOR or (
                    record.status is None and record.created_at < now - ABANDONED_AFTER
                )
                if stale:
                    repository.reclaim(conn, account_id, key, request, now)
                    record = None
        if record is None:  # ours to run
            await self._run_and_store(scope, body, send, account_id, key)
        elif record.fingerprint != request:
            raise IdempotencyConflict()
        elif record.status is None:
            raise IdempotencyInProgress(headers={"Retry-After": "1"})
        else:
            replay = Response(
                record.body,
                status_code=record.status,
                media_type=JSON.media_type,
                headers={"Idempotent-Replayed": "true"},
            )
            await replay(scope, receive, send)

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, account_id: str, key: str
    ) -> None:
        status = 500
        chunks: list[bytes] = []

        async def replay_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            await self._settle(scope, account_id, key, status, b"".join(chunks))

    async def _settle(
        self, scope: Scope, account_id: str, key: str, status: int, body: bytes
    ) -> None:
        """Store the answer (or forget the key after a 5xx). The answer may already be sent, so a
        failure here is not the client's: the store is tried again, then the key forgotten, so
        that it is never left claimed (a retry then runs again); failing that too, the claim is
        taken over after ABANDONED_AFTER."""
        addressed = repository.contacts_in(scope["path"])
        must_exist = 200 <= status < 300 and scope["method"] != "DELETE"
        for attempt in range(_STORE_ATTEMPTS):
            try:
                with db.write(self.engine) as conn:
                    if status >= 500:
                        repository.release(conn, account_id, key)
                    else:
                        repository.store(
                            conn,
                            account_id,
                            key,
                            status,
                            body,
                            addressed=addressed,
                            addressed_must_exist=must_exist,
                        )
                return
            except SQLAlchemyError:
                log.warning(
                    "could not store the answer to Idempotency-Key (attempt %d)", attempt + 1
                )
                await asyncio.sleep(0.05 * 2**attempt)  # outside the transaction
        try:
            with db.write(self.engine) as conn:
                repository.release(conn, account_id, key)
            log.error("gave up storing the answer to an Idempotency-Key; the key was forgotten")
        except SQLAlchemyError:
            log.exception("could not store nor forget an Idempotency-Key; it is taken over later")


def sweep(engine: Engine) -> int:
    """Forget the records older than a day, in every account; the number forgotten."""
    with db.write(engine) as conn:
        forgotten = repository.sweep(conn, utcnow() - KEEP_FOR)
    if forgotten:
        log.info("forgot %d idempotency records older than a day", forgotten)
    return forgotten


async def sweep_every(
    engine: Engine, stop: asyncio.Event, seconds: float = SWEEP_EVERY_SECONDS
) -> None:
    """The daily expiry on a timer, for the app's lifespan: at startup, then every ``seconds``
    until ``stop`` is set. Each sweep runs on a worker thread with its own connection, so the
    event loop never waits on it (nor on the database lock it takes); a sweep under way when
    ``stop`` is set finishes first, so its connection is returned before the engine closes."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(sweep, engine)
        except Exception:  # a busy or absent database: the next round tries again
            log.exception("the idempotency sweep failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
