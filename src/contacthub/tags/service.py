"""Tag rules: tags are made by naming them; names compare case-insensitively."""

from datetime import datetime

from sqlalchemy import Connection

from contacthub.accounts import service as accounts_service
from contacthub.core.clock import utcnow
from contacthub.core.db import Record
from contacthub.core.emails import email_key
from contacthub.core.wire import name_key
from contacthub.errors import AppError, NotFound
from contacthub.events import outbox
from contacthub.tags import repository
from contacthub.tags.schemas import TagOut, TagRef, tag_out, tags_out

# The contacts feature's 404, word for word (a contact-tag route answers for its contact).
CONTACT_NOT_FOUND = "Contact not found"


def all_tags(conn: Connection, account_id: str) -> list[TagOut]:
    """Every tag of the account, by name."""
    return tags_out(repository.all_tags(conn, account_id))


def put_on(
    conn: Connection, account_id: str, contact_id: str, refs: list[str | TagRef], now: datetime
) -> int:
    """Put tags on a contact the caller holds (locked or just made), creating missing tags.

    The number of tags the contact did not carry yet; one ``contact.tagged`` event for each, after
    one ``tag.updated`` for each tag created or described anew (as ``put_tag`` records).
    """
    names = [ref if isinstance(ref, str) else ref.name for ref in refs]
    carried = {row.name for row in repository.tags_of(conn, account_id, contact_id)}
    keys = sorted({name_key(name) for name in names})
    before = repository.by_key(conn, account_id, keys)
    ids = repository.ensure(conn, account_id, names, now)
    # The last description sent for a name wins; tag rows are updated in name order, so that two
    # requests describing the same tags in another order cannot deadlock on PostgreSQL.
    described = {
        name_key(ref.name): ref
        for ref in refs
        if isinstance(ref, TagRef) and "description" in ref.model_fields_set
    }
    for _, ref in sorted(described.items()):
        repository.set_description(conn, account_id, ref.name, ref.description)
    changed = [
        key
        for key in keys
        if key not in before
        or (key in described and described[key].description != before[key].description)
    ]
    if changed:
        after = repository.by_key(conn, account_id, changed)
        outbox.record_many(
            conn, account_id, "tag.updated", [(None, tag_out(after[key])) for key in changed]
        )
    added = repository.attach(
        conn, account_id, [(contact_id, tag_id) for tag_id in dict.fromkeys(ids.values())], now
    )
    if added:
        outbox.record_many(
            conn,
            account_id,
            "contact.tagged",
            [
                (contact_id, {"contactId": contact_id, "tag": row.name})
                for row in repository.tags_of(conn, account_id, contact_id)
                if row.name not in carried
            ],
        )
    return added


def _require_contact(conn: Connection, account_id: str, contact_id: str, *, lock: bool) -> None:
    if not repository.contact_exists(conn, account_id, contact_id, for_update=lock):
        raise NotFound(CONTACT_NOT_FOUND)


def attach_tags(
    conn: Connection, account_id: str, contact_id: str, refs: list[str | TagRef]
) -> None:
    """Put tags on a contact by name, creating the tags that do not exist yet.

    The contact's ``updatedAt`` moves only if it got a tag it did not carry.
    """
    _require_contact(conn, account_id, contact_id, lock=True)
    now = utcnow()
    if put_on(conn, account_id, contact_id, refs, now):
        repository.touch_contact(conn, account_id, contact_id, now)


def detach_tag(conn: Connection, account_id: str, contact_id: str, name: str) -> None:
    """Take a tag off a contact (a tag it does not carry is not an error)."""
    _require_contact(conn, account_id, contact_id, lock=True)
    if repository.detach(conn, account_id, contact_id, name):
        repository.touch_contact(conn, account_id, contact_id, utcnow())
        tag = _written(conn, account_id, name)  # the tag's own spelling, for the event
        outbox.record(
            conn,
            account_id,
            "contact.untagged",
            {"contactId": contact_id, "tag": tag.name},
            contact_id=contact_id,
        )


def tags_of(conn: Connection, account_id: str, contact_id: str) -> list[TagOut]:
    """A contact's tags as the original API shows them."""
    _require_contact(conn, account_id, contact_id, lock=False)
    return tags_out(repository.tags_of(conn, account_id, contact_id))


def tag_contact(
    conn: Connection,
    account_id: str,
    *,
    tag: str | TagRef,
    phone_number: str | None,
    email: str | None,
) -> tuple[str, TagOut]:
    """Tag the contact found by phone (as sent: read in the account's country) and/or email;
    (contact id, the tag)."""
    contact_id = repository.find_contact_id(
        conn,
        account_id,
        phone_number=None
        if phone_number is None
        else accounts_service.phone_number(conn, account_id, phone_number),
        email_key=None if email is None else email_key(email),
    )
    if contact_id is None:
        raise NotFound(CONTACT_NOT_FOUND)
    attach_tags(conn, account_id, contact_id, [tag])
    name = tag if isinstance(tag, str) else tag.name
    return contact_id, tag_out(_written(conn, account_id, name))


def put_tag(conn: Connection, account_id: str, name: str, description: str | None) -> TagOut:
    """Create the tag or change its description; ``tag.updated`` if either happened."""
    before = repository.get(conn, account_id, name)
    repository.ensure(conn, account_id, [name], utcnow())
    repository.set_description(conn, account_id, name, description)
    tag = tag_out(_written(conn, account_id, name))
    if before is None or tag_out(before) != tag:
        outbox.record(conn, account_id, "tag.updated", tag)
    return tag


def _written(conn: Connection, account_id: str, name: str) -> Record:
    """The tag this request has just written.

    Missing only if another request deleted it in between (PostgreSQL, READ COMMITTED): a 500,
    as the ``assert`` that stood here gave, but one that ``python -O`` keeps.
    """
    row = repository.get(conn, account_id, name)
    if row is None:
        raise AppError()
    return row


def delete_tag(conn: Connection, account_id: str, name: str) -> None:
    """Delete a tag; every contact loses it (one ``tag.deleted``, no untagged per contact)."""
    tag = repository.get(conn, account_id, name)
    if tag is None or repository.delete_tag(conn, account_id, name) == 0:
        raise NotFound("Tag not found")
    outbox.record(conn, account_id, "tag.deleted", tag_out(tag))
