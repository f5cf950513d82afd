"""List rules: names unique per account, memberships in bulk as set operations."""

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from contacthub.contacts import repository as contacts_repository
from contacthub.contacts import service as contacts_service
from contacthub.contacts.schemas import ContactOut, SearchQuery
from contacthub.core.clock import utcnow
from contacthub.core.db import Record
from contacthub.core.ids import new_id
from contacthub.core.pagination import Binding, decode_cursor, page
from contacthub.core.wire import missing_parameters, name_key
from contacthub.errors import Conflict, NotFound, PermissionDenied
from contacthub.events import outbox
from contacthub.lists import repository
from contacthub.lists.schemas import (
    BulkAdded,
    BulkRemoved,
    ListCreate,
    ListOut,
    ListUpdate,
    Membership,
    list_out,
)

LIST_NOT_FOUND = "List not found"


def _require(conn: Connection, account_id: str, list_id: str, *, lock: bool = False) -> Record:
    """The list, or 404; with ``lock``, held until the transaction ends (see repository.lock)."""
    if lock and not repository.lock(conn, account_id, [list_id]):
        raise NotFound(LIST_NOT_FOUND)
    row = repository.get(conn, account_id, list_id)
    if row is None:
        raise NotFound(LIST_NOT_FOUND)
    return row


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"A list named {name!r} already exists", details=[{"field": "name", "message": "is taken"}]
    )


def create_list(conn: Connection, account_id: str, body: ListCreate) -> ListOut:
    """Create a list."""
    now = utcnow()
    list_id = new_id("list")
    try:
        with conn.begin_nested():
            repository.insert_list(
                conn,
                {
                    "account_id": account_id,
                    "id": list_id,
                    "name": body.name,
                    "name_key": name_key(body.name),
                    "description": body.description,
                    "created_at": now,
                    "updated_at": now,
                },
            )
    except IntegrityError:
        raise _name_taken(body.name) from None
    created = list_out(_require(conn, account_id, list_id))
    outbox.record(conn, account_id, "list.created", created)
    return created


def get_list(conn: Connection, account_id: str, list_id: str) -> ListOut:
    """One list with its contact count."""
    return list_out(_require(conn, account_id, list_id))


def list_lists(
    conn: Connection, account_id: str, *, cursor: str | None, limit: int, secret: bytes
) -> tuple[list[ListOut], str | None]:
    """A page of lists, oldest first, and the cursor of the next page."""
    binding = Binding(secret, account_id, "lists")
    key = decode_cursor(cursor, 1, binding)
    rows = repository.page(conn, account_id, after=key[0] if key else None, limit=limit)
    shown, next_cursor = page(rows, limit, lambda row: [row.id], binding)
    return [list_out(row) for row in shown], next_cursor


def update_list(conn: Connection, account_id: str, list_id: str, body: ListUpdate) -> ListOut:
    """Rename a list or change its description; ``list.updated`` if either changed."""
    before = _require(conn, account_id, list_id)
    values: dict[str, Any] = {}
    if body.name is not None:
        values.update(name=body.name, name_key=name_key(body.name))
    if "description" in body.model_fields_set:
        values["description"] = body.description
    if values:
        try:
            with conn.begin_nested():
                repository.update_list(
                    conn, account_id, list_id, {**values, "updated_at": utcnow()}
                )
        except IntegrityError:
            raise _name_taken(values["name"]) from None
    after = get_list(conn, account_id, list_id)
    if (before.name, before.description) != (after["name"], after["description"]):
        outbox.record(conn, account_id, "list.updated", after)
    return after


def delete_list(conn: Connection, account_id: str, list_id: str) -> str:
    """Delete a list (its contacts stay); its name. One ``list.deleted``, no member_removed."""
    row = _require(conn, account_id, list_id)
    repository.delete_list(conn, account_id, list_id)
    outbox.record(conn, account_id, "list.deleted", list_out(row))
    name: str = row.name
    return name


def _membership(conn: Connection, account_id: str, body: Membership) -> tuple[str, str, str]:
    """(contact id, list id, list name), or 400 for what is missing, or 403 for what is not ours."""
    contact_id, list_id = body.contact_id, body.list_id
    if not contact_id or not list_id:
        raise missing_parameters(
            [name for name, value in (("contactId", contact_id), ("listId", list_id)) if not value]
        )
    row = (
        repository.get(conn, account_id, list_id)
        if repository.lock(conn, account_id, [list_id])
        else None
    )
    # The contact row is locked first, as every write to a contact does (see contacts.service.require).
    contact = contacts_repository.get(conn, account_id, contact_id, for_update=True)
    if row is None or contact is None:
        raise PermissionDenied()
    return contact_id, list_id, row.name


def add_contact(conn: Connection, account_id: str, body: Membership) -> str:
    """Put one contact on one list (again is fine); the list's name."""
    contact_id, list_id, name = _membership(conn, account_id, body)
    now = utcnow()
    if repository.add_members(conn, account_id, [(list_id, contact_id)], now):
        contacts_repository.touch(conn, account_id, [contact_id], now)
        _record_members(conn, account_id, "list.member_added", list_id, [contact_id])
    return name


def _record_members(
    conn: Connection, account_id: str, type_: str, list_id: str, contact_ids: list[str]
) -> None:
    """One membership event per contact that changed, recorded together."""
    outbox.record_many(
        conn,
        account_id,
        type_,
        [(cid, {"listId": list_id, "contactId": cid}) for cid in contact_ids],
    )


def remove_contact(conn: Connection, account_id: str, body: Membership) -> str:
    """Take one contact off one list (a non-member is fine); the list's name."""
    contact_id, list_id, name = _membership(conn, account_id, body)
    if repository.remove_members(conn, account_id, list_id, [contact_id]):
        contacts_repository.touch(conn, account_id, [contact_id], utcnow())
        _record_members(conn, account_id, "list.member_removed", list_id, [contact_id])
    return name


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def add_contacts(
    conn: Connection, account_id: str, list_id: str, contact_ids: list[str]
) -> BulkAdded:
    """Put up to 10,000 contacts on a list in a few set operations; what happened to each id."""
    _require(conn, account_id, list_id, lock=True)
    ids = _unique(contact_ids)
    existing = contacts_repository.existing_ids(conn, account_id, ids, for_update=True)
    members = repository.member_ids(conn, account_id, list_id, list(existing))
    new = [cid for cid in ids if cid in existing and cid not in members]
    now = utcnow()
    added = repository.add_members(conn, account_id, [(list_id, cid) for cid in new], now)
    contacts_repository.touch(conn, account_id, new, now)
    # The list and the contacts are locked, so what was new is what was added.
    _record_members(conn, account_id, "list.member_added", list_id, new)
    return {
        "added": added,
        "alreadyMembers": len(existing) - added,
        "notFound": [cid for cid in ids if cid not in existing],
    }


def remove_contacts(
    conn: Connection, account_id: str, list_id: str, contact_ids: list[str]
) -> BulkRemoved:
    """Take up to 10,000 contacts off a list in a few set operations; what happened to each id."""
    _require(conn, account_id, list_id)
    ids = _unique(contact_ids)
    existing = contacts_repository.existing_ids(conn, account_id, ids, for_update=True)
    on_list = repository.member_ids(conn, account_id, list_id, list(existing))
    members = [cid for cid in ids if cid in on_list]
    removed = repository.remove_members(conn, account_id, list_id, members)
    contacts_repository.touch(conn, account_id, members, utcnow())
    _record_members(conn, account_id, "list.member_removed", list_id, members)
    return {
        "removed": removed,
        "notMembers": len(existing) - removed,
        "notFound": [cid for cid in ids if cid not in existing],
    }


def list_contacts(
    conn: Connection,
    account_id: str,
    list_id: str,
    *,
    cursor: str | None,
    limit: int,
    secret: bytes,
) -> tuple[list[ContactOut], str | None]:
    """A page of the list's contacts, in the order they were created: a contact search by list."""
    _require(conn, account_id, list_id)
    return contacts_service.search_contacts(
        conn,
        account_id,
        SearchQuery(list_id=list_id, cursor=cursor, limit=limit),
        secret,
        endpoint="lists.contacts",
    )
