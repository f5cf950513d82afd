"""Contact rules: create (with lists and tags, atomically), find, update, erase, search."""

from types import SimpleNamespace
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from contacthub.accounts import service as accounts_service
from contacthub.contacts import events as contact_events
from contacthub.contacts import repository
from contacthub.contacts.schemas import (
    ContactCreate,
    ContactOut,
    ContactUpdate,
    ContactUpsert,
    ContactWrite,
    MatchedBy,
    Upserted,
    contact_out,
)
from contacthub.core.clock import utcnow
from contacthub.core.db import Record
from contacthub.core.emails import email_key
from contacthub.core.ids import new_id
from contacthub.core.wire import MAX_JSON_OBJECT_BYTES, fold
from contacthub.errors import BadRequest, Conflict, ContactExists, NotFound, ValidationFailed
from contacthub.idempotency import repository as idempotent_answers
from contacthub.tags import service as tags_service

CONTACT_NOT_FOUND = "Contact not found"
# A unique identifier was taken, then freed, while we looked: vanishingly rare; a retry settles it.
_VANISHED = "The contact changed while this request ran; retry it"


def _shown(conn: Connection, account_id: str, row: Record) -> ContactOut:
    return all_shown(conn, account_id, [row])[0]


def all_shown(conn: Connection, account_id: str, rows: list[Record]) -> list[ContactOut]:
    """Contacts as the API shows them, with their tags and lists in two queries."""
    ids = [row.id for row in rows]
    tags = repository.tag_names_of(conn, account_id, ids)
    lists = repository.list_ids_of(conn, account_id, ids)
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


def _new_shown(
    conn: Connection, account_id: str, values: dict[str, Any], *, tags: bool, lists: bool
) -> ContactOut:
    """A contact just inserted with ``values``, as GET shows it, without reading its row back.

    Its tags and lists are read only when the create gave some (their names are the tags' own,
    which an existing tag's spelling decides).
    """
    row = SimpleNamespace(**{**repository.INSERT_DEFAULTS, **values})
    cid = row.id
    tag_names = repository.tag_names_of(conn, account_id, [cid])[cid] if tags else []
    list_ids = repository.list_ids_of(conn, account_id, [cid])[cid] if lists else []
    return contact_out(row, tags=tag_names, list_ids=list_ids, now=utcnow())


def get_contact(conn: Connection, account_id: str, contact_id: str) -> ContactOut:
    """One contact as the API shows it."""
    return _shown(conn, account_id, require(conn, account_id, contact_id))


def find_contact(
    conn: Connection, account_id: str, *, phone_number: str | None, email: str | None
) -> ContactOut:
    """The contact with this phone number (as sent: read in the account's country) and/or email."""
    row = repository.find(
        conn,
        account_id,
        phone_number=None
        if phone_number is None
        else accounts_service.phone_number(conn, account_id, phone_number),
        email_key=None if email is None else email_key(email),
    )
    if row is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return _shown(conn, account_id, row)


def _holders(
    conn: Connection, account_id: str, body: ContactWrite, *, other_than: str | None
) -> dict[str, str]:
    """Which of the body's unique identifiers other contacts already hold: wire name → contact id."""
    identifiers = {
        name: getattr(body, _MATCH_FIELDS[name]) for name in repository.UNIQUE_IDENTIFIERS
    }
    return repository.holders(conn, account_id, identifiers, other_than=other_than)


def _exists(taken: dict[str, str], message: str) -> ContactExists:
    """The 409 naming the contacts that hold the body's identifiers (the first one's id on top)."""
    return ContactExists(
        message,
        details=[
            {"field": name, "message": f"belongs to contact {cid}"} for name, cid in taken.items()
        ],
        contactId=next(iter(taken.values())),
    )


def _already_exists(taken: dict[str, str]) -> ContactExists:
    """The 409 of a create whose identifiers another contact holds."""
    return _exists(taken, "Contact already exists")


def _held_by_another(taken: dict[str, str]) -> ContactExists:
    """The 409 of an update that would give this contact another contact's identifier."""
    return _exists(taken, f"Another contact already has this {next(iter(taken))}")


Body = TypeVar("Body", bound=ContactWrite)


def _in_e164(conn: Connection, account_id: str, body: Body) -> Body:
    """The body with its phone number in E.164 (one without a country code read in the
    account's default country), or a 400 naming phoneNumber."""
    if body.phone_number is None:
        return body
    number = accounts_service.phone_number(conn, account_id, body.phone_number)
    return body.model_copy(update={"phone_number": number})


def _target_lists(conn: Connection, account_id: str, body: ContactCreate) -> list[str]:
    """The lists the body names (``listIds`` wins over ``listId``), all checked to be ours."""
    list_ids = (
        body.list_ids if body.list_ids is not None else ([body.list_id] if body.list_id else [])
    )
    list_ids = list(dict.fromkeys(list_ids))
    if repository.existing_list_ids(conn, account_id, list_ids) != set(list_ids):
        raise NotFound("List not found")
    return list_ids


def _insert(conn: Connection, account_id: str, body: ContactCreate) -> dict[str, Any] | None:
    """Insert a contact from the body; its columns, or None when a unique identifier is taken.

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
    values.update(_name_keys(values["first_name"], values["last_name"]))
    return values if repository.insert_contact(conn, values) else None


def _add_lists_and_tags(
    conn: Connection, account_id: str, contact_id: str, list_ids: list[str], body: ContactCreate
) -> None:
    """Put a new or matched contact on the body's lists and tags (no updatedAt change: see upsert).

    One ``list.member_added`` per list the contact was not on yet; ``put_on`` records the tags'.
    """
    now = utcnow()
    if list_ids:
        already = set(repository.list_ids_of(conn, account_id, [contact_id])[contact_id])
        repository.add_to_lists(conn, account_id, contact_id, list_ids, now)
        contact_events.added_to_lists(
            conn, account_id, contact_id, [lid for lid in list_ids if lid not in already]
        )
    if body.tags:
        tags_service.put_on(conn, account_id, contact_id, list(body.tags), now)


def create_contact(conn: Connection, account_id: str, body: ContactCreate) -> str:
    """Create a contact, with its lists and tags, all or nothing; its id. Lists are checked first."""
    body = _in_e164(conn, account_id, body)
    list_ids = _target_lists(conn, account_id, body)
    values = _insert(conn, account_id, body)
    if values is None:
        taken = _holders(conn, account_id, body, other_than=None)
        raise _already_exists(taken) if taken else Conflict(_VANISHED)
    contact_id: str = values["id"]
    created = contact_events.created(conn, account_id, contact_id)
    _add_lists_and_tags(conn, account_id, contact_id, list_ids, body)
    created.update(_new_shown(conn, account_id, values, tags=bool(body.tags), lists=bool(list_ids)))
    return contact_id


def _name_keys(first_name: str, last_name: str) -> dict[str, str]:
    """The folded names search compares ``q`` with (see core.wire.fold)."""
    return {"full_name_key": fold(f"{first_name} {last_name}"), "last_name_key": fold(last_name)}


def _merged_custom_fields(current: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """A merge, not a replacement (RFC 7396 on the top level): null removes a key. 400 past 64 KiB."""
    merged = {k: v for k, v in {**current, **sent}.items() if v is not None}
    if len(orjson.dumps(merged)) > MAX_JSON_OBJECT_BYTES:
        raise ValidationFailed.field(
            "customFields",
            f"would be larger than {MAX_JSON_OBJECT_BYTES // 1024} KiB as JSON once merged"
            " with the fields the contact has; remove some (null removes a key)",
        )
    return merged


def _apply(conn: Connection, account_id: str, row: Record, body: ContactWrite) -> None:
    """Write the fields the body sends onto an existing contact (409 if an identifier is taken).

    Only the fields that differ from what is stored are written; if none does, nothing is, and
    ``updatedAt`` stays as it was.
    """
    now = utcnow()
    values = body.columns(now)
    if "custom_fields" in values:
        values["custom_fields"] = _merged_custom_fields(row.custom_fields, values["custom_fields"])
    if "first_name" in values or "last_name" in values:
        values.update(
            _name_keys(
                values.get("first_name", row.first_name), values.get("last_name", row.last_name)
            )
        )
    values = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not values:
        return  # a write that changes nothing makes no event either
    taken = _holders(conn, account_id, body, other_than=row.id)
    if taken:
        raise _held_by_another(taken)
    try:
        with conn.begin_nested():
            repository.update_contact(conn, account_id, row.id, {**values, "updated_at": now})
    except IntegrityError:
        # Another request took the identifier between our check and our write.
        taken = _holders(conn, account_id, body, other_than=row.id)
        raise _held_by_another(taken) if taken else Conflict(_VANISHED) from None
    contact_events.updated(conn, account_id, row, get_contact(conn, account_id, row.id))


def update_contact(
    conn: Connection, account_id: str, contact_id: str, body: ContactUpdate
) -> ContactOut:
    """Change the fields the body sends; the others keep their value. The updated contact."""
    body = _in_e164(conn, account_id, body)
    _apply(conn, account_id, require(conn, account_id, contact_id, lock=True), body)
    return get_contact(conn, account_id, contact_id)


# The identifiers upsert matches on, in the order it looks at them.
MATCH_ORDER: tuple[MatchedBy, ...] = ("phoneNumber", "externalId", "instagramId", "email")


def upsert_contact(conn: Connection, account_id: str, body: ContactUpsert) -> Upserted:
    """Update the contact the body's first identifier finds, or create one.

    Only the first identifier present (phoneNumber, externalId, instagramId, email) is looked up;
    the body's other identifiers must not belong to a different contact (409). Lists and tags in
    the body are added, never removed.
    """
    body = _in_e164(conn, account_id, body)
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
        values = _insert(conn, account_id, body)
        if values is not None:
            contact_id = values["id"]
            created = contact_events.created(conn, account_id, contact_id)
            _add_lists_and_tags(conn, account_id, contact_id, list_ids, body)
            shown = _new_shown(conn, account_id, values, tags=bool(body.tags), lists=bool(list_ids))
            created.update(shown)
            return {"contactId": contact_id, "created": True, "matchedBy": None}
        taken = _holders(conn, account_id, body, other_than=None)
        if matched_by not in taken:
            # Taken by a contact other than the one this body identifies.
            raise _already_exists(taken) if taken else Conflict(_VANISHED)
    raise Conflict(_VANISHED)


_MATCH_FIELDS = {
    "phoneNumber": "phone_number",
    "externalId": "external_id",
    "instagramId": "instagram_id",
    "email": "email",
}


def delete_contact(conn: Connection, account_id: str, contact_id: str) -> None:
    """Erase a contact with its messages, tags and memberships, and the stored idempotent answers
    that name it: nothing of it stays, and its earlier events keep only ids. The contact's row goes
    first: its lock makes a concurrent store of an answer naming it wait, so the answers are all
    found."""
    if repository.delete_contact(conn, account_id, contact_id) == 0:
        raise NotFound(CONTACT_NOT_FOUND)
    idempotent_answers.forget_contact(conn, account_id, contact_id)
    contact_events.erased(conn, account_id, contact_id)
