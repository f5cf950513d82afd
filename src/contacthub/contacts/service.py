"""Contact rules: create (with lists and tags, atomically), find, update, erase, tag."""

from typing import Any

from sqlalchemy import Connection, Row
from sqlalchemy.exc import IntegrityError

from contacthub.contacts import repository
from contacthub.contacts.schemas import ContactCreate, ContactUpdate, ContactWrite, TagRef, contact_out
from contacthub.core.clock import utcnow
from contacthub.core.ids import new_id
from contacthub.errors import Conflict, ContactExists, NotFound
from contacthub.lists import repository as lists_repository
from contacthub.tags import repository as tags_repository

CONTACT_NOT_FOUND = "Contact not found"


def _out(conn: Connection, account_id: str, row: Row[Any]) -> dict[str, Any]:
    return many_out(conn, account_id, [row])[0]


def many_out(conn: Connection, account_id: str, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    """Several contacts as the API shows them, with their tags and lists in two queries."""
    ids = [row.id for row in rows]
    tags = tags_repository.names_of(conn, account_id, ids)
    lists = lists_repository.list_ids_of(conn, account_id, ids)
    now = utcnow()
    return [contact_out(row, tags=tags[row.id], list_ids=lists[row.id], now=now) for row in rows]


def require(conn: Connection, account_id: str, contact_id: str) -> Row[Any]:
    """The contact, or 404 (another account's contact is as absent as a nonexistent one)."""
    row = repository.get(conn, account_id, contact_id)
    if row is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return row


def get_contact(conn: Connection, account_id: str, contact_id: str) -> dict[str, Any]:
    """One contact as the API shows it."""
    return _out(conn, account_id, require(conn, account_id, contact_id))


def find_contact(
    conn: Connection, account_id: str, *, phone_number: str | None, email: str | None
) -> dict[str, Any]:
    """The contact with this phone number and/or email."""
    row = repository.find(
        conn,
        account_id,
        phone_number=phone_number,
        email_key=None if email is None else email.casefold(),
    )
    if row is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return _out(conn, account_id, row)


def _conflict(conn: Connection, account_id: str, body: ContactWrite, *, other_than: str | None) -> ContactExists | None:
    """The 409 naming the contact that already holds one of the body's unique identifiers."""
    taken = repository.holders(
        conn,
        account_id,
        {
            "phoneNumber": body.phone_number,
            "externalId": body.external_id,
            "instagramId": body.instagram_id,
        },
        other_than=other_than,
    )
    if not taken:
        return None
    field, holder = next(iter(taken.items()))
    message = "Contact already exists" if other_than is None else f"Another contact already has this {field}"
    return ContactExists(
        message,
        details=[{"field": name, "message": f"belongs to contact {cid}"} for name, cid in taken.items()],
        contactId=holder,
    )


def create_contact(conn: Connection, account_id: str, body: ContactCreate) -> str:
    """Create a contact, with its lists and tags, all or nothing; its id.

    The lists are checked first; the unique index, not a prior lookup, decides whether the
    phone number (or external id, or Instagram id) is taken, so concurrent creates make one.
    """
    list_ids = body.list_ids if body.list_ids is not None else ([body.list_id] if body.list_id else [])
    if lists_repository.existing_ids(conn, account_id, list_ids) != set(list_ids):
        raise NotFound("List not found")
    now = utcnow()
    contact_id = new_id("contact")
    values = {
        "account_id": account_id,
        "id": contact_id,
        "first_name": "Unknown",
        "last_name": "Unknown",
        "is_bot_active": True,
        "do_not_disturb": False,
        "custom_fields": {},
        **body.columns(now),
        "created_at": now,
        "updated_at": now,
    }
    values["custom_fields"] = {k: v for k, v in values["custom_fields"].items() if v is not None}
    if not repository.insert_contact(conn, values):
        raise _conflict(conn, account_id, body, other_than=None) or Conflict(
            "Contact already exists; retry to see which one"
        )
    lists_repository.add_members(conn, account_id, [(lid, contact_id) for lid in list_ids], now)
    if body.tags:
        attach_tags(conn, account_id, contact_id, body.tags, check=False)
    return contact_id


def update_contact(
    conn: Connection, account_id: str, contact_id: str, body: ContactUpdate
) -> dict[str, Any]:
    """Change the fields the body sends; the others keep their value. The updated contact."""
    row = require(conn, account_id, contact_id)
    now = utcnow()
    values = body.columns(now)
    if not values:
        return _out(conn, account_id, row)
    if "custom_fields" in values:
        # A merge, not a replacement (RFC 7396 on the top level): null removes a key.
        merged = {**row.custom_fields, **values["custom_fields"]}
        values["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
    conflict = _conflict(conn, account_id, body, other_than=contact_id)
    if conflict is not None:
        raise conflict
    try:
        with conn.begin_nested():
            repository.update_contact(conn, account_id, contact_id, {**values, "updated_at": now})
    except IntegrityError:
        # Another request took the identifier between our check and our write.
        raise _conflict(conn, account_id, body, other_than=contact_id) or Conflict() from None
    return get_contact(conn, account_id, contact_id)


def delete_contact(conn: Connection, account_id: str, contact_id: str) -> None:
    """Erase a contact with its messages, tags and memberships."""
    if repository.delete_contact(conn, account_id, contact_id) == 0:
        raise NotFound(CONTACT_NOT_FOUND)


def attach_tags(
    conn: Connection,
    account_id: str,
    contact_id: str,
    refs: list[str | TagRef],
    *,
    check: bool = True,
) -> None:
    """Put tags on a contact by name, creating the tags that do not exist yet."""
    if check:
        require(conn, account_id, contact_id)
    now = utcnow()
    names = [ref if isinstance(ref, str) else ref.name for ref in refs]
    ids = tags_repository.ensure(conn, account_id, names, now)
    for ref in refs:
        if isinstance(ref, TagRef) and "description" in ref.model_fields_set:
            tags_repository.set_description(conn, account_id, ref.name, ref.description)
    tags_repository.attach(
        conn, account_id, [(contact_id, tag_id) for tag_id in dict.fromkeys(ids.values())], now
    )
    if check:
        repository.touch(conn, account_id, [contact_id], now)


def detach_tag(conn: Connection, account_id: str, contact_id: str, name: str) -> None:
    """Take a tag off a contact (a tag it does not carry is not an error)."""
    require(conn, account_id, contact_id)
    if tags_repository.detach(conn, account_id, contact_id, name):
        repository.touch(conn, account_id, [contact_id], utcnow())


def tags_of(conn: Connection, account_id: str, contact_id: str) -> list[dict[str, Any]]:
    """A contact's tags as the original API shows them."""
    require(conn, account_id, contact_id)
    return tags_repository.as_wire(tags_repository.tags_of(conn, account_id, contact_id))
