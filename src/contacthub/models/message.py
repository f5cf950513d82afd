"""Messages exchanged with a contact."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.core.clock import UTCDateTime
from contacthub.models.base import ID_LENGTH, Base


class Message(Base):
    """One message. Ordered by (timestamp, id); ``message_sid`` is unique in an account when set."""

    __tablename__ = "messages"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    direction: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str | None] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(Text)
    media_content_type: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(64))
    message_sid: Mapped[str | None] = mapped_column(String(255))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "contact_id"], ["contacts.account_id", "contacts.id"], ondelete="CASCADE"
        ),
        Index(None, "account_id", "contact_id", "timestamp", "id"),
        Index(None, "account_id", "message_sid", unique=True),
    )
