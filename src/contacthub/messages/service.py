"""Message rules: record (deduplicated by messageSid), page through, open the chat window."""

from sqlalchemy import Connection

from contacthub.contacts import repository as contacts_repository
from contacthub.contacts import service as contacts_service
from contacthub.core.clock import CHAT_WINDOW, to_wire, utcnow
from contacthub.core.db import Record
from contacthub.core.ids import new_id
from contacthub.core.pagination import Binding, decode_timed_cursor, page
from contacthub.errors import AppError, Conflict, ValidationFailed
from contacthub.events import outbox
from contacthub.messages import repository
from contacthub.messages.schemas import MessageCreate, MessageOut, message_out

_DEFAULT_SENDER = {"inbound": "contact", "outbound": "bot"}


def record_message(
    conn: Connection, account_id: str, contact_id: str, body: MessageCreate
) -> tuple[MessageOut, bool]:
    """Store a message; (the message, whether it is new). A known messageSid returns the first."""
    # Locked, as every write to a contact: an erasure waits, instead of removing the contact
    # between this check and the insert (a foreign-key error on PostgreSQL).
    contacts_service.require(conn, account_id, contact_id, lock=True)
    now = utcnow()
    sent_at = body.sent_at() or now
    message_id = new_id("message")
    values = {
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
    }
    for _ in range(2):
        if repository.insert_message(conn, values):
            break
        # Only messageSid can collide (the id is new): the first message with it is the answer.
        first = repository.by_sid(conn, account_id, str(body.message_sid))
        if first is not None:
            return message_out(first), False
        # It went with its contact's erasure since our insert looked: store this one after all.
    else:
        raise Conflict("The message changed while this request ran; retry it")
    if body.direction == "inbound":
        contacts_repository.open_chat_window(
            conn, account_id, contact_id, sent_at + CHAT_WINDOW, now
        )
    message = message_out(_present(repository.get(conn, account_id, message_id)))
    # A status change (the channel work) records message.status_updated the same way, with
    # previous={"status": <the old one>}; nothing changes a stored message's status yet.
    outbox.record(conn, account_id, "message.created", message, contact_id=contact_id)
    return message, True


def _present(row: Record | None) -> Record:
    """A message this transaction has just found stored (a 500, not ``assert``, if it is not)."""
    if row is None:
        raise AppError()
    return row


def list_messages(
    conn: Connection,
    account_id: str,
    contact_id: str,
    *,
    cursor: str | None,
    limit: int,
    order: str,
    secret: bytes,
) -> tuple[list[MessageOut], str | None]:
    """A page of a contact's messages by time, and the cursor of the next page."""
    contacts_service.require(conn, account_id, contact_id)
    # Checked here, after the contact, not as a Literal query type: a missing contact's 404 comes
    # first, and the message is the contract's.
    if order not in ("asc", "desc"):
        raise ValidationFailed.field("order", "must be asc or desc")
    binding = Binding(secret, account_id, "messages", (contact_id, order))
    after = decode_timed_cursor(cursor, binding)
    rows = repository.page(
        conn, account_id, contact_id, after=after, descending=order == "desc", limit=limit
    )
    shown, next_cursor = page(rows, limit, lambda row: [to_wire(row.timestamp), row.id], binding)
    return [message_out(row) for row in shown], next_cursor
