"""Wire shapes of messages (read shapes as ``TypedDict``s: see tags.schemas)."""

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator
from typing_extensions import TypedDict

from contacthub.core.clock import parse_wire, to_wire, utcnow
from contacthub.core.wire import Identifier, JsonObject, WireModel

# A message's status fits its column (review M2: PostgreSQL answered 500 beyond it).
Status = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# How far ahead of the server's clock a message may be dated: clocks drift, and a day covers
# any time zone mistake; a date further ahead would hold the chat window open until then.
MAX_AHEAD = timedelta(days=1)

Direction = Literal["inbound", "outbound"]
Sender = Literal["contact", "bot", "agent", "system"]
MessageType = Literal["text", "image", "audio", "video", "document", "reaction", "template"]


class MessageCreate(WireModel):
    """Body of ``POST /v1/contacts/messages/{contactId}``."""

    direction: Direction
    sender: Sender | None = None
    type: MessageType = "text"
    body: str | None = Field(None, max_length=65_536)
    media_url: str | None = Field(None, alias="mediaUrl", max_length=2048)
    media_content_type: Identifier | None = Field(None, alias="mediaContentType")
    channel: Identifier | None = None
    status: Status | None = None
    message_sid: Identifier | None = Field(None, alias="messageSid")
    timestamp: str | None = Field(None, examples=["2026-11-26T10:00:00.000Z"])
    metadata: JsonObject | None = None

    @field_validator("timestamp")
    @classmethod
    def _timestamp(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                sent_at = parse_wire(value)
            except ValueError:
                raise ValueError("must be an ISO 8601 time, e.g. 2026-11-26T10:00:00Z") from None
            if sent_at > utcnow() + MAX_AHEAD:
                raise ValueError("may be at most one day ahead of the server's clock")
        return value

    @model_validator(mode="after")
    def _has_content(self) -> "MessageCreate":
        if not self.body and not self.media_url:
            raise ValueError("a message needs a body or a mediaUrl")
        return self

    def sent_at(self) -> datetime | None:
        """The message's time, if the body gave one."""
        return None if self.timestamp is None else parse_wire(self.timestamp)


class MessageOut(TypedDict):
    """A message as the API shows it."""

    id: Annotated[str, Field(examples=["msg_01JDXQ2V3M4N5P6Q7R8S9T0V1W"])]
    contactId: str
    direction: Direction
    sender: Sender | None
    type: MessageType
    body: str | None
    mediaUrl: str | None
    mediaContentType: str | None
    channel: str | None
    status: str | None
    messageSid: str | None
    timestamp: str
    metadata: dict[str, Any]


def message_out(row: Any) -> MessageOut:
    """A message as the API shows it."""
    return {
        "id": row.id,
        "contactId": row.contact_id,
        "direction": row.direction,
        "sender": row.sender,
        "type": row.type,
        "body": row.body,
        "mediaUrl": row.media_url,
        "mediaContentType": row.media_content_type,
        "channel": row.channel,
        "status": row.status,
        "messageSid": row.message_sid,
        "timestamp": to_wire(row.timestamp),
        "metadata": row.metadata,
    }


class MessageData(TypedDict):
    success: Literal[True]
    data: MessageOut


class MessagePage(TypedDict):
    success: Literal[True]
    data: list[MessageOut]
    nextCursor: str | None
