"""Contacts: one person a business talks to, across channels."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.core.clock import UTCDateTime
from contacthub.models.base import ID_LENGTH, Base


class Contact(Base):
    """A contact. Phone, external id and Instagram id are each unique in an account when set."""

    __tablename__ = "contacts"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    # E.164; absent for Instagram or web-chat contacts created by upsert.
    phone_number: Mapped[str | None] = mapped_column(String(16))
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    # The email with its local part and domain lower-cased, what lookups compare (core.emails).
    email_key: Mapped[str | None] = mapped_column(String(320))
    # fold("first last") and fold(last), what search's q compares (core.wire.fold). Text: folding
    # can make a name longer than the name.
    full_name_key: Mapped[str | None] = mapped_column(Text)
    last_name_key: Mapped[str | None] = mapped_column(Text)
    instagram_id: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    current_campaign: Mapped[str | None] = mapped_column(String(255))
    current_campaign_data: Mapped[dict[str, Any] | None]
    channel: Mapped[str | None] = mapped_column(String(255))
    custom_channel: Mapped[str | None] = mapped_column(String(255))
    chat_widget_id: Mapped[str | None] = mapped_column(String(255))
    is_bot_active: Mapped[bool]
    do_not_disturb: Mapped[bool]
    do_not_disturb_reason: Mapped[str | None] = mapped_column(String(255))
    # The chat window is open while now < this; an inbound message pushes it to +24 h.
    chat_window_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    custom_fields: Mapped[dict[str, Any]]
    # Kept as messages are recorded (messages.repository.record_activity), never counted on a read:
    # the newest inbound message's timestamp, the newest message's, and how many the bot sent.
    last_incoming_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bot_message_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(None, "account_id", "phone_number", unique=True),
        Index(None, "account_id", "external_id", unique=True),
        Index(None, "account_id", "instagram_id", unique=True),
        Index(None, "account_id", "email_key", "id"),
        Index(None, "account_id", "updated_at", "id"),
    )
