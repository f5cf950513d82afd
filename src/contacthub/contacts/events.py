"""The contacts' events (API.md §7), recorded through the outbox where the service changes them."""

from typing import Any

from sqlalchemy import Connection

from contacthub.contacts.schemas import ContactOut, contact_out
from contacthub.core.clock import utcnow
from contacthub.core.db import Record
from contacthub.events import outbox
from contacthub.events import service as events_service


def created(conn: Connection, account_id: str, contact_id: str) -> dict[str, Any]:
    """Record ``contact.created`` first; its data (returned) is filled once the create is done.

    So it comes before the new contact's member_added and tagged events in the feed, and still
    shows the contact as GET returns it, tags and lists included.
    """
    data: dict[str, Any] = {}
    outbox.record(conn, account_id, "contact.created", data, contact_id=contact_id)
    return data


# Fields of the contact object that are not its own: tags and lists have their own events,
# the times and the chat window move without the contact's fields changing.
_NOT_OWN_FIELDS = frozenset({"tags", "listIds", "createdAt", "updatedAt", "isChatWindowOpen"})
# The seed's snake_case spellings of isBotActive and doNotDisturb: the contact shows both, but a
# change lists the field once, by its camelCase name, as every other field is named.
_SEED_SPELLINGS = frozenset({"is_bot_active", "do_not_disturb"})
_NOT_LISTED = _NOT_OWN_FIELDS | _SEED_SPELLINGS


def updated(conn: Connection, account_id: str, before: Record, now_shown: ContactOut) -> None:
    """Record ``contact.updated``: the contact now, the fields that changed and their old values."""
    old: dict[str, Any] = dict(contact_out(before, tags=[], list_ids=[], now=utcnow()))
    new: dict[str, Any] = dict(now_shown)
    changed = [k for k, v in new.items() if k not in _NOT_LISTED and old[k] != v]
    if changed:
        outbox.record(
            conn,
            account_id,
            "contact.updated",
            new,
            contact_id=before.id,
            changed_fields=changed,
            previous={name: old[name] for name in changed},
        )


def added_to_lists(conn: Connection, account_id: str, contact_id: str, list_ids: list[str]) -> None:
    """One ``list.member_added`` per list the contact was put on."""
    outbox.record_many(
        conn,
        account_id,
        "list.member_added",
        [(contact_id, {"listId": lid, "contactId": contact_id}) for lid in list_ids],
    )


def erased(conn: Connection, account_id: str, contact_id: str) -> None:
    """Redact the erased contact's earlier events and record ``contact.deleted``."""
    events_service.redact_contact(conn, account_id, contact_id)
    outbox.record(conn, account_id, "contact.deleted", {"id": contact_id}, contact_id=contact_id)
