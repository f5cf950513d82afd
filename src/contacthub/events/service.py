"""Event rules: the feed, erasure's redaction, the retention sweep. Recording is outbox.py."""

from datetime import datetime, timedelta

from sqlalchemy import Connection

from contacthub.config import get_settings
from contacthub.core.pagination import Binding, decode_cursor, encode_cursor
from contacthub.errors import ValidationFailed
from contacthub.events import repository
from contacthub.events.schemas import (
    MAX_TYPE_LENGTH,
    EventOut,
    event_out,
    is_type_pattern,
    split_patterns,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# The ``types`` parameter's length: room for dozens of patterns, not for a megabyte of them.
MAX_TYPES_LENGTH = 2000


def _types(types: str | None) -> tuple[list[str], list[str]]:
    """(exact types, prefixes) of a ``types`` filter such as ``contact.*,message.created``."""
    if types is not None and len(types) > MAX_TYPES_LENGTH:
        raise ValidationFailed.field("types", f"may be at most {MAX_TYPES_LENGTH} characters")
    items = [item for item in (t.strip() for t in (types or "").split(",")) if item]
    for item in items:
        if not is_type_pattern(item):
            raise ValidationFailed.field(
                "types",
                f"{item[:MAX_TYPE_LENGTH]!r} is not an event type or a prefix such as contact.*",
            )
    return split_patterns(items) or ([], [])


def feed(
    conn: Connection,
    account_id: str,
    *,
    after: str | None,
    types: str | None,
    limit: int | None,
    secret: bytes,
) -> tuple[list[EventOut], str, bool]:
    """Events after the cursor, oldest first; (events, where to resume, whether that is all).

    The cursor is the last position seen, sealed and bound to the account and the filter. A walk
    by position misses nothing: positions are taken in commit order (outbox.py).
    """
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be between 1 and {MAX_LIMIT}")
    exact, prefixes = _types(types)
    binding = Binding(secret, account_id, "events", (*exact, "|", *prefixes))
    try:
        key = decode_cursor(after, 1, binding)
    except ValidationFailed:
        raise _foreign_cursor() from None
    position = 0 if key is None else _position(key[0])
    rows = repository.page(
        conn, account_id, after=position, exact=exact, prefixes=prefixes, limit=size + 1
    )
    shown = rows[:size]
    if shown:
        position = shown[-1].position
    return (
        [event_out(row) for row in shown],
        encode_cursor([str(position)], binding),
        len(rows) <= size,
    )


def _position(text: str) -> int:
    if not text.isdigit():
        raise _foreign_cursor()
    return int(text)


def _foreign_cursor() -> ValidationFailed:
    return ValidationFailed.field(
        "after", "is not a cursor this feed gave out (for these types, to this account)"
    )


def redact_contact(conn: Connection, account_id: str, contact_id: str) -> None:
    """Leave only ids in every event about an erased contact, and no ``previous``.

    Contact events keep ``{"id"}``, message events ``{"id", "contactId"}``; membership and tag
    events hold only ids and a tag name already, and keep them.
    """
    rows = []
    for row in repository.about_contact(conn, account_id, contact_id):
        if row.type.startswith("contact.") and row.type not in (
            "contact.tagged",
            "contact.untagged",
        ):
            rows.append({"position": row.position, "data": {"id": contact_id}})
        elif row.type.startswith("message."):
            rows.append(
                {"position": row.position, "data": {"id": row.data["id"], "contactId": contact_id}}
            )
    if rows:
        repository.redact(conn, account_id, rows)


def sweep(conn: Connection, now: datetime, *, retention_days: int | None = None) -> int:
    """Delete every account's events older than the retention; how many.

    ``retention_days`` defaults to CONTACTHUB_EVENT_RETENTION_DAYS. The workers run this.
    """
    days = get_settings().event_retention_days if retention_days is None else retention_days
    return repository.sweep(conn, now - timedelta(days=days))
