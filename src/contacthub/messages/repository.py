"""Queries on messages, always filtered by account."""

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, case, select, tuple_, update

from contacthub.core.clock import UTCDateTime
from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.models import Contact, Message

_COLUMNS = (
    Message.id,
    Message.contact_id,
    Message.direction,
    Message.sender,
    Message.type,
    Message.body,
    Message.media_url,
    Message.media_content_type,
    Message.channel,
    Message.status,
    Message.message_sid,
    Message.timestamp,
    Message.metadata_.label("metadata"),
)


def insert_message(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert a message unless its messageSid is already stored; whether it was inserted."""
    return insert_ignoring_duplicates(conn, Message, [values]) == 1


def record_activity(
    conn: Connection,
    account_id: str,
    contact_id: str,
    *,
    timestamp: datetime,
    inbound: bool,
    by_bot: bool,
    now: datetime,
) -> None:
    """Keep the contact's activity with it (one statement per message, no scan on a read): the
    newest message's time, the newest inbound one's, and the count of the bot's messages.

    A message may be recorded after newer ones (a history import): the times only move forward.
    """
    newest = bindparam("timestamp", timestamp, type_=UTCDateTime())

    def later(column: Any) -> Any:
        return case((column.is_(None) | (column < newest), newest), else_=column)

    values: dict[str, Any] = {
        "last_activity_at": later(Contact.last_activity_at),
        "updated_at": now,
    }
    if inbound:
        values["last_incoming_message_at"] = later(Contact.last_incoming_message_at)
    if by_bot:
        values["bot_message_count"] = Contact.bot_message_count + 1
    conn.execute(
        update(Contact)
        .where(Contact.account_id == account_id, Contact.id == contact_id)
        .values(values)
    )


def get(conn: Connection, account_id: str, message_id: str) -> Record | None:
    """One message."""
    return conn.execute(
        select(*_COLUMNS).where(Message.account_id == account_id, Message.id == message_id)
    ).first()


def by_sid(conn: Connection, account_id: str, message_sid: str) -> Record | None:
    """The message with this messageSid."""
    return conn.execute(
        select(*_COLUMNS).where(
            Message.account_id == account_id, Message.message_sid == message_sid
        )
    ).first()


def page(
    conn: Connection,
    account_id: str,
    contact_id: str,
    *,
    after: tuple[datetime, str] | None,
    descending: bool,
    limit: int,
) -> Sequence[Record]:
    """A contact's messages by (timestamp, id), after a key; one row more than ``limit`` if there are."""
    params: dict[str, Any] = {"account_id": account_id, "contact_id": contact_id, "n": limit + 1}
    if after is not None:
        params.update(after_timestamp=after[0], after_id=after[1])
    return conn.execute(_page(after is not None, descending), params).all()


@lru_cache(maxsize=4)
def _page(after: bool, descending: bool) -> Select[*tuple[Any, ...]]:
    # Built once per shape and run with parameters: building a statement costs SQLAlchemy more
    # than SQLite takes to run it (docs/architecture.md, "The hot path").
    statement = select(*_COLUMNS).where(
        Message.account_id == bindparam("account_id"), Message.contact_id == bindparam("contact_id")
    )
    if after:
        key = tuple_(Message.timestamp, Message.id)
        bound = tuple_(bindparam("after_timestamp", type_=UTCDateTime()), bindparam("after_id"))
        statement = statement.where(key < bound if descending else key > bound)
    order = (
        (Message.timestamp.desc(), Message.id.desc())
        if descending
        else (Message.timestamp, Message.id)
    )
    return statement.order_by(*order).limit(bindparam("n"))
