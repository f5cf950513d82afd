"""Contact rules: create (with lists and tags, atomically), find, update, erase, tag."""

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from contacthub.contacts import repository
from contacthub.contacts.repository import SearchFilters
from contacthub.contacts.schemas import (
    ContactCreate,
    ContactUpdate,
    ContactUpsert,
    ContactWrite,
    TagRef,
    contact_out,
)
from contacthub.core.clock import parse_wire, to_wire, utcnow
from contacthub.core.db import Record
from contacthub.core.ids import new_id
from contacthub.core.pagination import decode_cursor, encode_cursor
from contacthub.errors import BadRequest, Conflict, ContactExists, NotFound, ValidationFailed
from contacthub.lists import repository as lists_repository
from contacthub.tags import repository as tags_repository

CONTACT_NOT_FOUND = "Contact not found"
# A unique identifier was taken, then freed, while we looked: vanishingly rare; a retry settles it.
_VANISHED = "The contact changed while this request ran; retry it"


def _out(conn: Connection, account_id: str, row: Record) -> dict[str, Any]:
    return many_out(conn, account_id, [row])[0]


def many_out(conn: Connection, account_id: str, rows: list[Record]) -> list[dict[str, Any]]:
    """Several contacts as the API shows them, with their tags and lists in two queries."""
    ids = [row.id for row in rows]
    tags = tags_repository.names_of(conn, account_id, ids)
    lists = lists_repository.list_ids_of(conn, account_id, ids)
    now = utcnow()
    return [contact_out(row, tags=tags[row.id], list_ids=lists[row.id], now=now) for row in rows]


def require(conn: Connection, account_id: str, contact_id: str, *, lock: bool = False) -> Record:
    """The contact, or 404 (another account's contact is as absent as a nonexistent one).

    Every write that changes a contact or its tags and lists locks the contact row first
    (``lock``), so that two such writes on one contact queue up instead of deadlocking on
    PostgreSQL. SQLite needs no row lock: it has one writer at a time.
    """
    row = repository.get(conn, account_id, contact_id, for_update=lock)
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


def _holders(
    conn: Connection, account_id: str, body: ContactWrite, *, other_than: str | None
) -> dict[str, str]:
    """Which of the body's unique identifiers other contacts already hold: wire name → contact id."""
    return repository.holders(
        conn,
        account_id,
        {
            "phoneNumber": body.phone_number,
            "externalId": body.external_id,
            "instagramId": body.instagram_id,
        },
        other_than=other_than,
    )


def _exists(taken: dict[str, str], *, updating: bool) -> ContactExists:
    """The 409 naming the contact that holds an identifier (the first taken one)."""
    field, holder = next(iter(taken.items()))
    return ContactExists(
        f"Another contact already has this {field}" if updating else "Contact already exists",
        details=[
            {"field": name, "message": f"belongs to contact {cid}"} for name, cid in taken.items()
        ],
        contactId=holder,
    )


def _target_lists(conn: Connection, account_id: str, body: ContactCreate) -> list[str]:
    """The lists the body names (``listIds`` wins over ``listId``), all checked to be ours."""
    list_ids = (
        body.list_ids if body.list_ids is not None else ([body.list_id] if body.list_id else [])
    )
    list_ids = list(dict.fromkeys(list_ids))
    if lists_repository.existing_ids(conn, account_id, list_ids) != set(list_ids):
        raise NotFound("List not found")
    return list_ids


def _insert(conn: Connection, account_id: str, body: ContactCreate) -> str | None:
    """Insert a contact from the body; its id, or None when a unique identifier is taken.

    The unique index, not a prior lookup, decides whether an identifier is taken, so
    concurrent requests for one identity make one contact.
    """
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
    return contact_id if repository.insert_contact(conn, values) else None


def _add_lists_and_tags(
    conn: Connection, account_id: str, contact_id: str, list_ids: list[str], body: ContactCreate
) -> None:
    lists_repository.add_members(
        conn, account_id, [(lid, contact_id) for lid in list_ids], utcnow()
    )
    if body.tags:
        attach_tags(conn, account_id, contact_id, body.tags, check=False)


def create_contact(conn: Connection, account_id: str, body: ContactCreate) -> str:
    """Create a contact, with its lists and tags, all or nothing; its id. Lists are checked first."""
    list_ids = _target_lists(conn, account_id, body)
    contact_id = _insert(conn, account_id, body)
    if contact_id is None:
        taken = _holders(conn, account_id, body, other_than=None)
        raise _exists(taken, updating=False) if taken else Conflict(_VANISHED)
    _add_lists_and_tags(conn, account_id, contact_id, list_ids, body)
    return contact_id


def _apply(conn: Connection, account_id: str, row: Record, body: ContactWrite) -> None:
    """Write the fields the body sends onto an existing contact (409 if an identifier is taken)."""
    now = utcnow()
    values = body.columns(now)
    if not values:
        return
    if "custom_fields" in values:
        # A merge, not a replacement (RFC 7396 on the top level): null removes a key.
        merged = {**row.custom_fields, **values["custom_fields"]}
        values["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
    taken = _holders(conn, account_id, body, other_than=row.id)
    if taken:
        raise _exists(taken, updating=True)
    try:
        with conn.begin_nested():
            repository.update_contact(conn, account_id, row.id, {**values, "updated_at": now})
    except IntegrityError:
        # Another request took the identifier between our check and our write.
        taken = _holders(conn, account_id, body, other_than=row.id)
        raise _exists(taken, updating=True) if taken else Conflict(_VANISHED) from None


def update_contact(
    conn: Connection, account_id: str, contact_id: str, body: ContactUpdate
) -> dict[str, Any]:
    """Change the fields the body sends; the others keep their value. The updated contact."""
    _apply(conn, account_id, require(conn, account_id, contact_id, lock=True), body)
    return get_contact(conn, account_id, contact_id)


# The identifiers upsert matches on, in the order it looks at them.
MATCH_ORDER = ("phoneNumber", "externalId", "instagramId", "email")


def upsert_contact(conn: Connection, account_id: str, body: ContactUpsert) -> dict[str, Any]:
    """Update the contact the body's first identifier finds, or create one.

    Only the first identifier present (phoneNumber, externalId, instagramId, email) is looked up;
    the body's other identifiers must not belong to a different contact (409). Lists and tags in
    the body are added, never removed.
    """
    sent = {name: getattr(body, field) for name, field in _MATCH_FIELDS.items()}
    matched_by = next((name for name in MATCH_ORDER if sent[name] is not None), None)
    if matched_by is None:
        raise BadRequest(
            "Give at least one identifier: phoneNumber, externalId, instagramId or email",
            details=[
                {"field": name, "message": "one of these is required"} for name in MATCH_ORDER
            ],
        )
    list_ids = _target_lists(conn, account_id, body)
    # Two rounds at most: if a concurrent request creates the contact between our lookup and
    # our insert, the insert yields and the second round finds and updates it.
    for _ in range(2):
        row = repository.find_by(conn, account_id, matched_by, sent[matched_by], for_update=True)
        if row is not None:
            _apply(conn, account_id, row, body)
            _add_lists_and_tags(conn, account_id, row.id, list_ids, body)
            return {"contactId": row.id, "created": False, "matchedBy": matched_by}
        contact_id = _insert(conn, account_id, body)
        if contact_id is not None:
            _add_lists_and_tags(conn, account_id, contact_id, list_ids, body)
            return {"contactId": contact_id, "created": True, "matchedBy": None}
        taken = _holders(conn, account_id, body, other_than=None)
        if matched_by not in taken:
            # Taken by a contact other than the one this body identifies.
            raise _exists(taken, updating=False) if taken else Conflict(_VANISHED)
    raise Conflict(_VANISHED)


_MATCH_FIELDS = {
    "phoneNumber": "phone_number",
    "externalId": "external_id",
    "instagramId": "instagram_id",
    "email": "email",
}


def search_contacts(
    conn: Connection,
    account_id: str,
    filters: SearchFilters,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the contacts matching every filter, and the cursor of the next page."""
    by_update = filters.updated_since is not None
    key = decode_cursor(cursor, 2 if by_update else 1)
    after: tuple[Any, ...] | None = None
    if key is not None:
        try:
            after = (parse_wire(key[0]), key[1]) if by_update else (key[0],)
        except ValueError:
            raise ValidationFailed.field(
                "cursor", "is not a cursor this endpoint gave out"
            ) from None
    rows = repository.search(conn, account_id, filters=filters, after=after, limit=limit)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([to_wire(last.updated_at), last.id] if by_update else [last.id])
    return many_out(conn, account_id, list(rows[:limit])), next_cursor


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
        require(conn, account_id, contact_id, lock=True)
    now = utcnow()
    names = [ref if isinstance(ref, str) else ref.name for ref in refs]
    ids = tags_repository.ensure(conn, account_id, names, now)
    # The last description sent for a name wins; tag rows are updated in name order, so that two
    # requests describing the same tags in another order cannot deadlock on PostgreSQL.
    described = {
        tags_repository.name_key(ref.name): ref
        for ref in refs
        if isinstance(ref, TagRef) and "description" in ref.model_fields_set
    }
    for _, ref in sorted(described.items()):
        tags_repository.set_description(conn, account_id, ref.name, ref.description)
    tags_repository.attach(
        conn, account_id, [(contact_id, tag_id) for tag_id in dict.fromkeys(ids.values())], now
    )
    if check:
        repository.touch(conn, account_id, [contact_id], now)


def detach_tag(conn: Connection, account_id: str, contact_id: str, name: str) -> None:
    """Take a tag off a contact (a tag it does not carry is not an error)."""
    require(conn, account_id, contact_id, lock=True)
    if tags_repository.detach(conn, account_id, contact_id, name):
        repository.touch(conn, account_id, [contact_id], utcnow())


def tags_of(conn: Connection, account_id: str, contact_id: str) -> list[dict[str, Any]]:
    """A contact's tags as the original API shows them."""
    require(conn, account_id, contact_id)
    return tags_repository.as_wire(tags_repository.tags_of(conn, account_id, contact_id))
