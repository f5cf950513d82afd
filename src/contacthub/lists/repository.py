"""Queries on lists and list memberships, always filtered by account."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.models import Contact, ContactList, ListMembership

_COLUMNS = (
    ContactList.id,
    ContactList.name,
    ContactList.description,
    ContactList.created_at,
    ContactList.updated_at,
)


def _count(account_id: str) -> Any:
    return (
        select(func.count())
        .where(ListMembership.account_id == account_id, ListMembership.list_id == ContactList.id)
        .scalar_subquery()
        .label("contact_count")
    )


def get(conn: Connection, account_id: str, list_id: str) -> Record | None:
    """One list with its contact count."""
    return conn.execute(
        select(*_COLUMNS, _count(account_id)).where(
            ContactList.account_id == account_id, ContactList.id == list_id
        )
    ).first()


def page(conn: Connection, account_id: str, *, after: str | None, limit: int) -> Sequence[Record]:
    """Lists in creation order, after the id ``after``; one row more than ``limit`` if there are."""
    statement = select(*_COLUMNS, _count(account_id)).where(ContactList.account_id == account_id)
    if after is not None:
        statement = statement.where(ContactList.id > after)
    return conn.execute(statement.order_by(ContactList.id).limit(limit + 1)).all()


def existing_ids(conn: Connection, account_id: str, list_ids: Iterable[str]) -> set[str]:
    """Those of ``list_ids`` that are lists of this account."""
    ids = list(set(list_ids))
    if not ids:
        return set()
    return set(
        conn.scalars(
            select(ContactList.id).where(
                ContactList.account_id == account_id, ContactList.id.in_(ids)
            )
        )
    )


def insert_list(conn: Connection, values: dict[str, Any]) -> None:
    """Store a new list."""
    conn.execute(insert(ContactList).values(**values))


def update_list(conn: Connection, account_id: str, list_id: str, values: dict[str, Any]) -> None:
    """Change a list's fields."""
    conn.execute(
        update(ContactList)
        .where(ContactList.account_id == account_id, ContactList.id == list_id)
        .values(**values)
    )


def delete_list(conn: Connection, account_id: str, list_id: str) -> int:
    """Delete a list; its memberships go with it (ON DELETE CASCADE), its contacts stay."""
    return conn.execute(
        delete(ContactList).where(ContactList.account_id == account_id, ContactList.id == list_id)
    ).rowcount


def add_members(
    conn: Connection, account_id: str, pairs: Iterable[tuple[str, str]], when: datetime
) -> int:
    """Add (list_id, contact_id) memberships; the number that were new."""
    rows = [
        {"account_id": account_id, "list_id": list_id, "contact_id": contact_id, "created_at": when}
        for list_id, contact_id in pairs
    ]
    return insert_ignoring_duplicates(conn, ListMembership, rows)


def remove_members(conn: Connection, account_id: str, list_id: str, contact_ids: list[str]) -> int:
    """Remove contacts from a list; the number that were members."""
    removed = 0
    for start in range(0, len(contact_ids), 10_000):
        removed += conn.execute(
            delete(ListMembership).where(
                ListMembership.account_id == account_id,
                ListMembership.list_id == list_id,
                ListMembership.contact_id.in_(contact_ids[start : start + 10_000]),
            )
        ).rowcount
    return removed


def member_ids(conn: Connection, account_id: str, list_id: str, contact_ids: list[str]) -> set[str]:
    """Those of ``contact_ids`` that are on the list."""
    found: set[str] = set()
    for start in range(0, len(contact_ids), 10_000):
        found.update(
            conn.scalars(
                select(ListMembership.contact_id).where(
                    ListMembership.account_id == account_id,
                    ListMembership.list_id == list_id,
                    ListMembership.contact_id.in_(contact_ids[start : start + 10_000]),
                )
            )
        )
    return found


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


def existing_contact_ids(
    conn: Connection, account_id: str, contact_ids: list[str], *, for_update: bool = False
) -> set[str]:
    """Those of ``contact_ids`` that are contacts of this account.

    With ``for_update`` the rows are locked in id order, so that two bulk calls over the same
    contacts queue up instead of deadlocking.
    """
    found: set[str] = set()
    ordered = sorted(contact_ids) if for_update else contact_ids
    for start in range(0, len(ordered), 10_000):
        statement = select(Contact.id).where(
            Contact.account_id == account_id, Contact.id.in_(ordered[start : start + 10_000])
        )
        if for_update:
            statement = statement.order_by(Contact.id).with_for_update()
        found.update(conn.scalars(statement))
    return found


def members_page(
    conn: Connection, account_id: str, list_id: str, *, after: str | None, limit: int
) -> Sequence[Record]:
    """The list's contacts by id, after ``after``; one row more than ``limit`` if there are."""
    statement = (
        select(Contact)
        .join(
            ListMembership,
            (ListMembership.account_id == Contact.account_id)
            & (ListMembership.contact_id == Contact.id),
        )
        .where(ListMembership.account_id == account_id, ListMembership.list_id == list_id)
    )
    if after is not None:
        statement = statement.where(ListMembership.contact_id > after)
    return conn.execute(statement.order_by(ListMembership.contact_id).limit(limit + 1)).all()
