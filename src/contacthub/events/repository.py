"""Queries on events, always filtered by account (except the retention sweep)."""

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    String,
    Text,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from contacthub.core.clock import UTCDateTime
from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.models import Event, EventCounter


def advance(conn: Connection, account_id: str, count: int) -> int:
    """Take ``count`` positions of the account's feed; the last one taken.

    One upsert that leaves the counter's row locked until the transaction ends (PostgreSQL), so
    the transaction that takes a later position commits after this one: the feed's order is
    commit order. SQLite has one writer at a time.
    """
    statement = _advance_statement(conn.dialect.name)
    return int(conn.execute(statement, {"account_id": account_id, "count": count}).scalar_one())


@lru_cache(maxsize=2)
def _advance_statement(dialect: str) -> Any:
    """``advance``'s upsert, built once per dialect: building it on each call cost a create
    more than the statement itself on SQLite."""
    upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return (
        upsert(EventCounter)
        .values(account_id=bindparam("account_id"), position=bindparam("count"))
        .on_conflict_do_update(
            index_elements=[EventCounter.account_id],
            set_={"position": EventCounter.position + bindparam("count")},
        )
        .returning(EventCounter.position)
    )


# PostgreSQL: the counter's upsert and the events' insert in one statement (one round trip):
#   WITH counter AS (INSERT INTO event_counters … ON CONFLICT DO UPDATE … RETURNING position)
#   INSERT INTO events SELECT …, counter.position - :count + e.n, … FROM counter,
#          jsonb_to_recordset(:events) AS e(n bigint, id text, …)
# The counter row stays locked to the commit as with ``advance``; the events, sent as one JSON
# array each with its rank ``n`` (1…count), take the positions it returns, in their order.
@lru_cache(maxsize=1)
def _append_statement() -> Any:
    """The statement above, built once (its compiled form is cached by SQLAlchemy)."""
    counter = (
        postgresql_insert(EventCounter)
        .values(account_id=bindparam("account_id"), position=bindparam("count"))
        .on_conflict_do_update(
            index_elements=[EventCounter.account_id],
            set_={"position": EventCounter.position + bindparam("count")},
        )
        .returning(EventCounter.position)
        .cte("counter")
    )
    rows = (
        func.jsonb_to_recordset(cast(bindparam("events"), JSONB))
        .table_valued(
            column("n", BigInteger),
            column("id", Text),
            column("type", Text),
            column("created_at", DateTime),
            column("data", JSONB),
            column("changed_fields", JSONB),
            column("previous", JSONB),
            column("actor_key_id", Text),
            column("contact_id", Text),
        )
        .render_derived(name="e", with_types=True)
    )
    copied = ("id", "type", "created_at", "data", "changed_fields", "previous", "actor_key_id")
    return insert(Event).from_select(
        ["account_id", "position", *copied, "contact_id"],
        select(
            bindparam("account_id", type_=String),
            counter.c.position - bindparam("count") + rows.c.n,
            *(rows.c[name] for name in copied),
            rows.c.contact_id,
        )
        .select_from(counter)
        .join(rows, true()),
    )


_TIME = UTCDateTime()


def append(conn: Connection, account_id: str, events: list[dict[str, Any]]) -> None:
    """Give ``events`` (without account_id and position) the account's next positions and insert
    them: on PostgreSQL in one statement, on SQLite (one writer at a time) the counter then the
    rows. A ``None`` diff is stored as SQL NULL on both.
    """
    if conn.dialect.name == "sqlite":
        first = advance(conn, account_id, len(events)) - len(events) + 1
        insert_events(
            conn,
            [
                {"account_id": account_id, "position": first + n, **event}
                for n, event in enumerate(events)
            ],
        )
        return
    document = orjson.dumps(
        [
            {**e, "n": n, "created_at": _TIME.process_bind_param(e["created_at"], conn.dialect)}
            for n, e in enumerate(events, 1)
        ]
    )
    conn.execute(
        _append_statement(),
        {"account_id": account_id, "count": len(events), "events": document.decode()},
    )


def insert_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert events (each row carries its account_id): one statement per few thousand rows."""
    insert_ignoring_duplicates(conn, Event, rows)  # nothing conflicts: the positions are new


def page(
    conn: Connection,
    account_id: str,
    *,
    after: int,
    exact: Sequence[str],
    prefixes: Sequence[str],
    limit: int,
) -> Sequence[Record]:
    """Up to ``limit`` events after a position, oldest first, of the types asked (all if none)."""
    statement = (
        select(Event)
        .where(Event.account_id == account_id, Event.position > after)
        .order_by(Event.position)
        .limit(limit)
    )
    if exact or prefixes:
        statement = statement.where(of_types(exact, prefixes))
    return conn.execute(statement).all()


def of_types(exact: Sequence[str], prefixes: Sequence[str]) -> ColumnElement[bool]:
    """Whether an event's type is one of ``exact`` or starts with one of ``prefixes`` (the one
    matching of patterns: ``schemas.split_patterns`` reads them)."""
    return or_(
        Event.type.in_(exact), *(Event.type.startswith(p, autoescape=True) for p in prefixes)
    )


def about_contact(conn: Connection, account_id: str, contact_id: str) -> Sequence[Record]:
    """(position, type, data) of every event about a contact."""
    return conn.execute(
        select(Event.position, Event.type, Event.data).where(
            Event.account_id == account_id, Event.contact_id == contact_id
        )
    ).all()


def redact(conn: Connection, account_id: str, rows: list[dict[str, Any]]) -> None:
    """Replace the data of events (``position``, ``data``) and drop their diff: one executemany."""
    conn.execute(
        update(Event)
        .where(Event.account_id == account_id, Event.position == bindparam("at"))
        .values(data=bindparam("redacted"), previous=null(), changed_fields=null()),
        [{"at": row["position"], "redacted": row["data"]} for row in rows],
    )


def sweep(conn: Connection, before: datetime) -> int:
    """Delete every account's events made before ``before``; how many."""
    return conn.execute(delete(Event).where(Event.created_at < before)).rowcount
