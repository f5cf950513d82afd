"""Queries on lists and list memberships, always filtered by account."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from contacthub.core.db import Record, chunks, insert_ignoring_duplicates
from contacthub.models import ContactList, ListMembership

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


def lock(conn: Connection, account_id: str, list_ids: list[str]) -> set[str]:
    """Those of ``list_ids`` that are lists of this account, locked until the transaction ends.

    FOR KEY SHARE: a concurrent delete of the list waits for us (so our memberships never point
    at a list that is gone), while other reads and memberships proceed. SQLite has one writer.
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


def page(conn: Connection, account_id: str, *, after: str | None, limit: int) -> Sequence[Record]:
    """Lists in creation order, after the id ``after``; one row more than ``limit`` if there are."""
    statement = select(*_COLUMNS, _count(account_id)).where(ContactList.account_id == account_id)
    if after is not None:
        statement = statement.where(ContactList.id > after)
    return conn.execute(statement.order_by(ContactList.id).limit(limit + 1)).all()


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
    for chunk in chunks(contact_ids):
        removed += conn.execute(
            delete(ListMembership).where(
                ListMembership.account_id == account_id,
                ListMembership.list_id == list_id,
                ListMembership.contact_id.in_(chunk),
            )
        ).rowcount
    return removed


def member_ids(conn: Connection, account_id: str, list_id: str, contact_ids: list[str]) -> set[str]:
    """Those of ``contact_ids`` that are on the list."""
    found: set[str] = set()
    for chunk in chunks(contact_ids):
        found.update(
            conn.scalars(
                select(ListMembership.contact_id).where(
                    ListMembership.account_id == account_id,
                    ListMembership.list_id == list_id,
                    ListMembership.contact_id.in_(chunk),
                )
            )
        )
    return found
