"""Message rules: record (deduplicated by messageSid), page through, open the chat window."""

from typing import Any

from sqlalchemy import Connection

from contacthub.contacts.schemas import CHAT_WINDOW
from contacthub.contacts.service import require as require_contact
from contacthub.core.clock import parse_wire, to_wire, utcnow
from contacthub.core.ids import new_id
from contacthub.core.pagination import decode_cursor, encode_cursor
from contacthub.errors import ValidationFailed
from contacthub.messages import repository
from contacthub.messages.schemas import MessageCreate, message_out

_DEFAULT_SENDER = {"inbound": "contact", "outbound": "bot"}


def record_message(
    conn: Connection, account_id: str, contact_id: str, body: MessageCreate
) -> tuple[dict[str, Any], bool]:
    """Store a message; (the message, whether it is new). A known messageSid returns the first."""
    require_contact(conn, account_id, contact_id)
    now = utcnow()
    sent_at = body.sent_at() or now
    message_id = new_id("message")
    inserted = repository.insert_message(
        conn,
        {
            "account_id": account_id,
            "id": message_id,
            "contact_id": contact_id,
            "direction": body.direction,
            "sender": body.sender or _DEFAULT_SENDER[body.direction],
            "type": body.type,
            "body": body.body,
            "media_url": body.media_url,
            "media_content_type": body.media_content_type,
            "channel": body.channel,
            "status": body.status,
            "message_sid": body.message_sid,
            "timestamp": sent_at,
            "metadata_": body.metadata or {},
            "created_at": now,
        },
    )
    if not inserted:
        assert body.message_sid is not None  # only messageSid can collide
        first = repository.by_sid(conn, account_id, body.message_sid)
        assert first is not None
        return message_out(first), False
    if body.direction == "inbound":
        repository.open_chat_window(conn, account_id, contact_id, sent_at + CHAT_WINDOW, now)
    row = repository.get(conn, account_id, message_id)
    assert row is not None
    return message_out(row), True


def list_messages(
    conn: Connection,
    account_id: str,
    contact_id: str,
    *,
    cursor: str | None,
    limit: int,
    order: str,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a contact's messages by time, and the cursor of the next page."""
    require_contact(conn, account_id, contact_id)
    if order not in ("asc", "desc"):
        raise ValidationFailed.field("order", "must be asc or desc")
    key = decode_cursor(cursor, 2)
    after = None
    if key is not None:
        try:
            after = (parse_wire(key[0]), key[1])
        except ValueError:
            raise ValidationFailed.field(
                "cursor", "is not a cursor this endpoint gave out"
            ) from None
    rows = repository.page(
        conn, account_id, contact_id, after=after, descending=order == "desc", limit=limit
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([to_wire(last.timestamp), last.id])
    return [message_out(row) for row in rows[:limit]], next_cursor
