"""Queries on events, always filtered by account (except the retention sweep)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, delete, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.models import Event, EventCounter


def advance(conn: Connection, account_id: str, count: int) -> int:
    """Take ``count`` positions of the account's feed; the last one taken.

    One upsert that leaves the counter's row locked until the transaction ends (PostgreSQL), so
    the transaction that takes a later position commits after this one: the feed's order is
    commit order. SQLite has one writer at a time.
    """
    upsert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    statement = (
        upsert(EventCounter)
        .values(account_id=account_id, position=count)
        .on_conflict_do_update(
            index_elements=[EventCounter.account_id],
            set_={"position": EventCounter.position + count},
        )
        .returning(EventCounter.position)
    )
    return int(conn.execute(statement).scalar_one())


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
