"""Queries on tags and the tags of contacts, always filtered by account."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.core.ids import new_id
from contacthub.models import ContactTag, Tag


def name_key(name: str) -> str:
    """What two tag names must share to be the same tag."""
    return name.casefold()


def ensure(conn: Connection, account_id: str, names: list[str], when: datetime) -> dict[str, str]:
    """Make sure a tag exists for each name (first spelling wins); name_key → tag id."""
    keys: dict[str, str] = {}
    for name in names:
        keys.setdefault(name_key(name), name)  # the first spelling wins
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
            for key, name in sorted(keys.items())
        ],
    )
    rows = conn.execute(
        select(Tag.name_key, Tag.id).where(
            Tag.account_id == account_id, Tag.name_key.in_(list(keys))
        )
    )
    return {key: tag_id for key, tag_id in rows}  # noqa: C416 (a Result is not a mapping)


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


def tags_of(conn: Connection, account_id: str, contact_id: str) -> Sequence[Record]:
    """A contact's tags, by name."""
    return conn.execute(
        select(Tag.name, Tag.description)
        .join(ContactTag, (ContactTag.account_id == Tag.account_id) & (ContactTag.tag_id == Tag.id))
        .where(ContactTag.account_id == account_id, ContactTag.contact_id == contact_id)
        .order_by(Tag.name_key)
    ).all()


# Built once, run with parameters (an expanding IN for the ids): see messages.repository._page.
_NAMES_OF = (
    select(ContactTag.contact_id, Tag.name)
    .join(Tag, (Tag.account_id == ContactTag.account_id) & (Tag.id == ContactTag.tag_id))
    .where(
        ContactTag.account_id == bindparam("account_id"),
        ContactTag.contact_id.in_(bindparam("contact_ids", expanding=True)),
    )
    .order_by(Tag.name_key)
)


def names_of(conn: Connection, account_id: str, contact_ids: list[str]) -> dict[str, list[str]]:
    """Each contact's tag names, by name."""
    result: dict[str, list[str]] = {contact_id: [] for contact_id in contact_ids}
    if not contact_ids:
        return result
    rows = conn.execute(_NAMES_OF, {"account_id": account_id, "contact_ids": contact_ids})
    for contact_id, name in rows:
        result[contact_id].append(name)
    return result


def as_wire(rows: Sequence[Record]) -> list[dict[str, Any]]:
    """Tags as the original API shows them: ``[{"name", "description"}]``."""
    return [{"name": name, "description": description} for name, description in rows]
