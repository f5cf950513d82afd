"""The outbox: the one place a change writes its event, in the change's own transaction.

A service calls ``record`` (or ``record_many``) at the point of change. Nothing is written then:
the events wait in the transaction (``conn.info``, through ``core.db.BEFORE_COMMIT``) and are
flushed once, right before the commit, by ``core.db.write`` — the transaction every write path
takes (the API's ``WriteConn``, the CLI, a worker). The flush takes the account's feed positions
under the ``event_counters`` row lock and inserts every event, in one statement on PostgreSQL
(``repository.append``: the counter's upsert in a CTE). Taken last, that lock is held only for the flush and the commit, and after every
other lock of the transaction (the contact rows, "lock first"), so it orders commits without
adding a deadlock. A transaction that raises writes no event; one that commits writes them all.

The actor is the transaction's own (``core.db.ACTOR``: the API key of the request, None for the
CLI), not an argument threaded through every service.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from contacthub.core.clock import utcnow
from contacthub.core.db import ACTOR, BEFORE_COMMIT
from contacthub.core.ids import new_id
from contacthub.events import repository

_NAME = "events"


class _Pending:
    """The events a transaction has recorded, by account, waiting for its commit."""

    __slots__ = ("by_account",)

    def __init__(self) -> None:
        self.by_account: dict[str, list[dict[str, Any]]] = {}

    def __call__(self, conn: Connection) -> None:
        # Accounts in id order: two transactions touching the same two accounts lock alike.
        for account_id, events in sorted(self.by_account.items()):
            if events:
                repository.append(conn, account_id, events)


def _pending(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    hooks: dict[str, Any] = conn.info.setdefault(BEFORE_COMMIT, {})
    pending = hooks.get(_NAME)
    if pending is None:
        pending = hooks[_NAME] = _Pending()
    events: list[dict[str, Any]] = pending.by_account.setdefault(account_id, [])
    return events


def _event(
    conn: Connection,
    type_: str,
    data: Any,
    *,
    contact_id: str | None,
    changed_fields: list[str] | None,
    previous: dict[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id("event"),
        "type": type_,
        "created_at": now,
        "data": data,
        "changed_fields": changed_fields,
        "previous": previous,
        "actor_key_id": conn.info.get(ACTOR),
        "contact_id": contact_id,
    }


def record(
    conn: Connection,
    account_id: str,
    type_: str,
    data: Any,
    *,
    contact_id: str | None = None,
    changed_fields: list[str] | None = None,
    previous: dict[str, Any] | None = None,
) -> None:
    """Record one event of this transaction; ``contact_id`` names the contact it is about."""
    _pending(conn, account_id).append(
        _event(
            conn,
            type_,
            data,
            contact_id=contact_id,
            changed_fields=changed_fields,
            previous=previous,
            now=utcnow(),
        )
    )


def record_many(
    conn: Connection, account_id: str, type_: str, items: Iterable[tuple[str | None, Any]]
) -> None:
    """Record one event per (contact id, data): a bulk write's events, inserted together."""
    now = utcnow()
    _pending(conn, account_id).extend(
        _event(conn, type_, data, contact_id=cid, changed_fields=None, previous=None, now=now)
        for cid, data in items
    )
