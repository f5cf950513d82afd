"""Queries on contacts, always filtered by account.

A contact shows its tags and lists, is created onto lists, and is searched by list and tag; those
reads and the memberships a create makes are queries here, on the membership tables. The lists
feature builds on contacts (its member page is a contact search), so contacts may not import it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    delete,
    exists,
    or_,
    select,
    tuple_,
    update,
)

from contacthub.core.db import Record, chunks, insert_ignoring_duplicates
from contacthub.core.emails import email_key
from contacthub.core.wire import fold, name_key
from contacthub.models import Contact, ContactList, ContactTag, ListMembership, Tag

# The identifiers that are unique in an account, wire name → column.
UNIQUE_IDENTIFIERS = {
    "phoneNumber": Contact.phone_number,
    "externalId": Contact.external_id,
    "instagramId": Contact.instagram_id,
}


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What GET /v1/contacts/search filters on; None means "any"."""

    now: datetime
    q: str | None = None
    # The E.164 number ``q`` is when it is a whole national number (found besides q's prefixes).
    phone: str | None = None
    list_id: str | None = None
    tag: str | None = None
    channel: str | None = None
    is_bot_active: bool | None = None
    do_not_disturb: bool | None = None
    is_chat_window_open: bool | None = None
    updated_since: datetime | None = None


def get(
    conn: Connection, account_id: str, contact_id: str, *, for_update: bool = False
) -> Record | None:
    """One contact; with ``for_update``, locked until the transaction ends (see ``lock``)."""
    statement = _GET_FOR_UPDATE if for_update else _GET
    return conn.execute(statement, {"account_id": account_id, "id": contact_id}).first()


# Built once, run with parameters: see messages.repository._page.
_GET = select(Contact).where(
    Contact.account_id == bindparam("account_id"), Contact.id == bindparam("id")
)
_GET_FOR_UPDATE = _GET.with_for_update()


def find(
    conn: Connection, account_id: str, *, phone_number: str | None, email_key: str | None
) -> Record | None:
    """The contact with this phone and/or email (both must match when both are given).

    Email is not unique: the oldest contact with it wins.
    """
    statement = select(Contact).where(Contact.account_id == account_id)
    if phone_number is not None:
        statement = statement.where(Contact.phone_number == phone_number)
    if email_key is not None:
        statement = statement.where(Contact.email_key == email_key)
    return conn.execute(statement.order_by(Contact.id).limit(1)).first()


# What a new contact's columns hold when an insert does not set them (their defaults).
INSERT_DEFAULTS: dict[str, Any] = {
    column.key: None if column.default is None else column.default.arg
    for column in Contact.__table__.columns
}


def insert_contact(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert a contact unless one of its unique identifiers is taken; whether it was inserted."""
    return insert_ignoring_duplicates(conn, Contact, [values]) == 1


def update_contact(
    conn: Connection, account_id: str, contact_id: str, values: dict[str, Any]
) -> None:
    """Change a contact's columns."""
    conn.execute(
        update(Contact)
        .where(Contact.account_id == account_id, Contact.id == contact_id)
        .values(**values)
    )


def touch(conn: Connection, account_id: str, contact_ids: list[str], when: datetime) -> None:
    """Mark contacts as changed (their tags or lists did), so ``updatedSince`` sees them."""
    for chunk in chunks(contact_ids):
        conn.execute(
            update(Contact)
            .where(Contact.account_id == account_id, Contact.id.in_(chunk))
            .values(updated_at=when)
        )


def delete_contact(conn: Connection, account_id: str, contact_id: str) -> int:
    """Erase a contact; its messages, tags and memberships go with it (ON DELETE CASCADE)."""
    return conn.execute(
        delete(Contact).where(Contact.account_id == account_id, Contact.id == contact_id)
    ).rowcount


def holders(
    conn: Connection, account_id: str, identifiers: dict[str, str | None], *, other_than: str | None
) -> dict[str, str]:
    """For each given unique identifier (wire name → value), the contact already holding it."""
    wanted = {name: value for name, value in identifiers.items() if value is not None}
    if not wanted:
        return {}
    statement = select(Contact).where(
        Contact.account_id == account_id,
        or_(*(UNIQUE_IDENTIFIERS[name] == value for name, value in wanted.items())),
    )
    if other_than is not None:
        statement = statement.where(Contact.id != other_than)
    found: dict[str, str] = {}
    for row in conn.execute(statement):
        for name, value in wanted.items():
            if getattr(row, UNIQUE_IDENTIFIERS[name].key) == value:
                found.setdefault(name, row.id)
    return found


def _prefix(text: str) -> str:
    """A LIKE pattern matching values that start with ``text`` (its wildcards escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(
    conn: Connection,
    account_id: str,
    *,
    filters: SearchFilters,
    after: tuple[Any, ...] | None,
    limit: int,
) -> Sequence[Record]:
    """Contacts matching every filter, by id (or by (updated_at, id) with ``updated_since``).

    Keyset pages: ``after`` is the last row's sort key. Returns one row more than ``limit`` when
    there are more.
    """
    statement = select(Contact).where(Contact.account_id == account_id)
    if filters.q:
        # Both sides folded in Python, the same way (core.wire.fold): SQL's lower() differs
        # between the databases and does not fold "ß" to "ss".
        pattern = _prefix(fold(filters.q))
        matches: list[ColumnElement[bool]] = [
            Contact.full_name_key.like(pattern, escape="\\"),
            Contact.last_name_key.like(pattern, escape="\\"),
            Contact.email_key.like(_prefix(email_key(filters.q)), escape="\\"),
        ]
        digits = re.sub(r"[\s\-.()]", "", filters.q).lstrip("+")
        if digits.isdigit():
            matches.append(Contact.phone_number.like(_prefix("+" + digits), escape="\\"))
        if filters.phone is not None:
            matches.append(Contact.phone_number == filters.phone)
        statement = statement.where(or_(*matches))
    if filters.list_id is not None:
        statement = statement.where(
            exists().where(
                ListMembership.account_id == account_id,
                ListMembership.list_id == filters.list_id,
                ListMembership.contact_id == Contact.id,
            )
        )
    if filters.tag is not None:
        statement = statement.where(
            exists().where(
                ContactTag.account_id == account_id,
                ContactTag.contact_id == Contact.id,
                Tag.account_id == account_id,
                Tag.id == ContactTag.tag_id,
                Tag.name_key == name_key(filters.tag),
            )
        )
    if filters.channel is not None:
        statement = statement.where(Contact.channel == filters.channel)
    if filters.is_bot_active is not None:
        statement = statement.where(Contact.is_bot_active == filters.is_bot_active)
    if filters.do_not_disturb is not None:
        statement = statement.where(Contact.do_not_disturb == filters.do_not_disturb)
    if filters.is_chat_window_open is not None:
        is_open = Contact.chat_window_until > filters.now
        statement = statement.where(
            is_open
            if filters.is_chat_window_open
            else or_(Contact.chat_window_until.is_(None), ~is_open)
        )
    if filters.updated_since is not None:
        statement = statement.where(Contact.updated_at >= filters.updated_since)
        if after is not None:
            statement = statement.where(tuple_(Contact.updated_at, Contact.id) > tuple_(*after))
        statement = statement.order_by(Contact.updated_at, Contact.id)
    else:
        if after is not None:
            statement = statement.where(Contact.id > after[0])
        statement = statement.order_by(Contact.id)
    return conn.execute(statement.limit(limit + 1)).all()


# What upsert can match on, wire name → column: the unique identifiers, and email (not unique).
_LOOKUP_COLUMNS = {**UNIQUE_IDENTIFIERS, "email": Contact.email_key}


def find_by(
    conn: Connection, account_id: str, identifier: str, value: str, *, for_update: bool = False
) -> Record | None:
    """The contact with this identifier (wire name); for email, the oldest with it."""
    if identifier == "email":
        value = email_key(value)
    statement = (
        select(Contact)
        .where(Contact.account_id == account_id, _LOOKUP_COLUMNS[identifier] == value)
        .order_by(Contact.id)
        .limit(1)
    )
    if for_update:
        statement = statement.with_for_update()
    return conn.execute(statement).first()


def existing_ids(
    conn: Connection, account_id: str, contact_ids: list[str], *, for_update: bool = False
) -> set[str]:
    """Those of ``contact_ids`` that are contacts of this account.

    With ``for_update`` the rows are locked in id order, so that two bulk calls over the same
    contacts queue up instead of deadlocking.
    """
    found: set[str] = set()
    ordered = sorted(contact_ids) if for_update else contact_ids
    for chunk in chunks(ordered):
        statement = select(Contact.id).where(
            Contact.account_id == account_id, Contact.id.in_(chunk)
        )
        if for_update:
            statement = statement.order_by(Contact.id).with_for_update()
        found.update(conn.scalars(statement))
    return found


def open_chat_window(
    conn: Connection, account_id: str, contact_id: str, until: datetime, now: datetime
) -> None:
    """Keep the contact's chat window open until at least ``until``."""
    conn.execute(
        update(Contact)
        .where(
            Contact.account_id == account_id,
            Contact.id == contact_id,
            (Contact.chat_window_until.is_(None)) | (Contact.chat_window_until < until),
        )
        .values(chat_window_until=until, updated_at=now)
    )


def existing_list_ids(conn: Connection, account_id: str, list_ids: list[str]) -> set[str]:
    """Those of ``list_ids`` that are lists of this account, locked until the transaction ends.

    FOR KEY SHARE, in id order: a concurrent delete of a list waits for the memberships this
    transaction makes, instead of removing the list under them (PostgreSQL).
    """
    ids = sorted(set(list_ids))
    if not ids:
        return set()
    return set(
        conn.scalars(
            select(ContactList.id)
            .where(ContactList.account_id == account_id, ContactList.id.in_(ids))
            .order_by(ContactList.id)
            .with_for_update(key_share=True)
        )
    )


def add_to_lists(
    conn: Connection, account_id: str, contact_id: str, list_ids: list[str], when: datetime
) -> None:
    """Put a contact on lists (being on one already is fine)."""
    insert_ignoring_duplicates(
        conn,
        ListMembership,
        [
            {
                "account_id": account_id,
                "list_id": list_id,
                "contact_id": contact_id,
                "created_at": when,
            }
            for list_id in list_ids
        ],
    )


# Built once, run with parameters (an expanding IN for the ids): see messages.repository._page.
_LIST_IDS_OF = (
    select(ListMembership.contact_id, ListMembership.list_id)
    .where(
        ListMembership.account_id == bindparam("account_id"),
        ListMembership.contact_id.in_(bindparam("contact_ids", expanding=True)),
    )
    .order_by(ListMembership.list_id)
)


def list_ids_of(conn: Connection, account_id: str, contact_ids: list[str]) -> dict[str, list[str]]:
    """Each contact's list ids, in the order the lists were made."""
    result: dict[str, list[str]] = {contact_id: [] for contact_id in contact_ids}
    if not contact_ids:
        return result
    rows = conn.execute(_LIST_IDS_OF, {"account_id": account_id, "contact_ids": contact_ids})
    for contact_id, list_id in rows:
        result[contact_id].append(list_id)
    return result


_TAG_NAMES_OF = (
    select(ContactTag.contact_id, Tag.name)
    .join(Tag, (Tag.account_id == ContactTag.account_id) & (Tag.id == ContactTag.tag_id))
    .where(
        ContactTag.account_id == bindparam("account_id"),
        ContactTag.contact_id.in_(bindparam("contact_ids", expanding=True)),
    )
    .order_by(Tag.name_key)
)


def tag_names_of(conn: Connection, account_id: str, contact_ids: list[str]) -> dict[str, list[str]]:
    """Each contact's tag names, by name."""
    result: dict[str, list[str]] = {contact_id: [] for contact_id in contact_ids}
    if not contact_ids:
        return result
    rows = conn.execute(_TAG_NAMES_OF, {"account_id": account_id, "contact_ids": contact_ids})
    for contact_id, name in rows:
        result[contact_id].append(name)
    return result
