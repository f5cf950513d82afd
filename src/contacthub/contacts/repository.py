"""Queries on contacts, always filtered by account."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, or_, select, update

from contacthub.core.db import insert_ignoring_duplicates
from contacthub.models import Contact

# The identifiers that are unique in an account, wire name → column.
UNIQUE_IDENTIFIERS = {
    "phoneNumber": Contact.phone_number,
    "externalId": Contact.external_id,
    "instagramId": Contact.instagram_id,
}


def get(conn: Connection, account_id: str, contact_id: str) -> Row[Any] | None:
    """One contact."""
    return conn.execute(
        select(Contact).where(Contact.account_id == account_id, Contact.id == contact_id)
    ).first()


def find(
    conn: Connection, account_id: str, *, phone_number: str | None, email_key: str | None
) -> Row[Any] | None:
    """The contact with this phone and/or email (both must match when both are given).

    Email is not unique: the oldest contact with it wins.
    """
    statement = select(Contact).where(Contact.account_id == account_id)
    if phone_number is not None:
        statement = statement.where(Contact.phone_number == phone_number)
    if email_key is not None:
        statement = statement.where(Contact.email_key == email_key)
    return conn.execute(statement.order_by(Contact.id).limit(1)).first()


def insert_contact(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert a contact unless one of its unique identifiers is taken; whether it was inserted."""
    return insert_ignoring_duplicates(conn, Contact, [values]) == 1


def update_contact(conn: Connection, account_id: str, contact_id: str, values: dict[str, Any]) -> None:
    """Change a contact's columns."""
    conn.execute(
        update(Contact)
        .where(Contact.account_id == account_id, Contact.id == contact_id)
        .values(**values)
    )


def touch(conn: Connection, account_id: str, contact_ids: list[str], when: datetime) -> None:
    """Mark contacts as changed (their tags or lists did), so ``updatedSince`` sees them."""
    for start in range(0, len(contact_ids), 10_000):
        conn.execute(
            update(Contact)
            .where(Contact.account_id == account_id, Contact.id.in_(contact_ids[start : start + 10_000]))
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
