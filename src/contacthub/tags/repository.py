"""Queries on tags and the tags of contacts, always filtered by account.

The contact-tag routes also need a few facts about the contact itself (does it exist, which one
has this phone number, mark it changed). They are asked here, of the contacts table, rather than
of the contacts feature: contacts already builds on tags (a new contact is tagged by tags.service),
so tags may not import contacts back.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.core.ids import new_id
from contacthub.core.wire import name_key
from contacthub.models import Contact, ContactTag, Tag


def ensure(conn: Connection, account_id: str, names: list[str], when: datetime) -> dict[str, str]:
    """Make sure a tag exists for each name (first spelling wins); name_key → tag id.

    The tags are locked (FOR KEY SHARE) until the transaction ends, so that a concurrent delete
    waits instead of removing a tag between here and its use (PostgreSQL; SQLite has one writer).
    One deleted between our insert and our lock is made again.
    """
    keys: dict[str, str] = {}
    for name in names:
        keys.setdefault(name_key(name), name)  # the first spelling wins
    found: dict[str, str] = {}
    for _ in range(3):
        missing = {key: name for key, name in keys.items() if key not in found}
        insert_ignoring_duplicates(
            conn,
            Tag,
            [
                {
                    "account_id": account_id,
                    "id": new_id("tag"),
                    "name": name,
                    "name_key": key,
                    "description": None,
                    "created_at": when,
                }
                # In name order, so that two requests creating the same tags cannot deadlock.
                for key, name in sorted(missing.items())
            ],
        )
        rows = conn.execute(
            select(Tag.name_key, Tag.id)
            .where(Tag.account_id == account_id, Tag.name_key.in_(list(missing)))
            .order_by(Tag.name_key)
            .with_for_update(key_share=True)
        )
        found.update({key: tag_id for key, tag_id in rows})  # noqa: C416 (not a mapping)
        if len(found) == len(keys):
            break
    return found


def set_description(conn: Connection, account_id: str, name: str, description: str | None) -> int:
    """Change a tag's description; 0 if there is no such tag."""
    return conn.execute(
        update(Tag)
        .where(Tag.account_id == account_id, Tag.name_key == name_key(name))
        .values(description=description)
    ).rowcount


def attach(conn: Connection, account_id: str, pairs: list[tuple[str, str]], when: datetime) -> int:
    """Put tags on contacts, as (contact_id, tag_id) pairs; the number that were new."""
    return insert_ignoring_duplicates(
        conn,
        ContactTag,
        [
            {
                "account_id": account_id,
                "contact_id": contact_id,
                "tag_id": tag_id,
                "created_at": when,
            }
            for contact_id, tag_id in pairs
        ],
    )


def detach(conn: Connection, account_id: str, contact_id: str, name: str) -> int:
    """Take the named tag off a contact; the number removed (0 or 1)."""
    tag_id = select(Tag.id).where(Tag.account_id == account_id, Tag.name_key == name_key(name))
    return conn.execute(
        delete(ContactTag).where(
            ContactTag.account_id == account_id,
            ContactTag.contact_id == contact_id,
            ContactTag.tag_id.in_(tag_id.scalar_subquery()),
        )
    ).rowcount


def delete_tag(conn: Connection, account_id: str, name: str) -> int:
    """Delete a tag; it leaves every contact that carried it (ON DELETE CASCADE)."""
    return conn.execute(
        delete(Tag).where(Tag.account_id == account_id, Tag.name_key == name_key(name))
    ).rowcount


def all_tags(conn: Connection, account_id: str) -> Sequence[Record]:
    """Every tag of the account, by name."""
    return conn.execute(
        select(Tag.name, Tag.description).where(Tag.account_id == account_id).order_by(Tag.name_key)
    ).all()


def get(conn: Connection, account_id: str, name: str) -> Record | None:
    """One tag by name."""
    return conn.execute(
        select(Tag.name, Tag.description).where(
            Tag.account_id == account_id, Tag.name_key == name_key(name)
        )
    ).first()


def by_key(conn: Connection, account_id: str, keys: list[str]) -> dict[str, Record]:
    """The tags of these name keys that exist: name_key → (name, description)."""
    rows = conn.execute(
        select(Tag.name_key, Tag.name, Tag.description).where(
            Tag.account_id == account_id, Tag.name_key.in_(keys)
        )
    )
    return {row.name_key: row for row in rows}


def tags_of(conn: Connection, account_id: str, contact_id: str) -> Sequence[Record]:
    """A contact's tags, by name."""
    return conn.execute(
        select(Tag.name, Tag.description)
        .join(ContactTag, (ContactTag.account_id == Tag.account_id) & (ContactTag.tag_id == Tag.id))
        .where(ContactTag.account_id == account_id, ContactTag.contact_id == contact_id)
        .order_by(Tag.name_key)
    ).all()


def contact_exists(
    conn: Connection, account_id: str, contact_id: str, *, for_update: bool = False
) -> bool:
    """Whether the contact exists; with ``for_update``, its row is locked until the transaction ends.

    Every write to a contact or its tags and lists locks the contact row first (see
    contacts.service.require), so that two such writes on one contact queue up instead of
    deadlocking on PostgreSQL.
    """
    statement = select(Contact.id).where(Contact.account_id == account_id, Contact.id == contact_id)
    if for_update:
        statement = statement.with_for_update()
    return conn.execute(statement).first() is not None


def find_contact_id(
    conn: Connection, account_id: str, *, phone_number: str | None, email_key: str | None
) -> str | None:
    """The id of the contact with this phone and/or email (both must match when both are given).

    Email is not unique: the oldest contact with it wins (as contacts.repository.find).
    """
    statement = select(Contact.id).where(Contact.account_id == account_id)
    if phone_number is not None:
        statement = statement.where(Contact.phone_number == phone_number)
    if email_key is not None:
        statement = statement.where(Contact.email_key == email_key)
    found: str | None = conn.scalars(statement.order_by(Contact.id).limit(1)).first()
    return found


def touch_contact(conn: Connection, account_id: str, contact_id: str, when: datetime) -> None:
    """Mark a contact as changed (its tags did), so ``updatedSince`` sees it."""
    conn.execute(
        update(Contact)
        .where(Contact.account_id == account_id, Contact.id == contact_id)
        .values(updated_at=when)
    )
