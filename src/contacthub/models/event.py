"""The outbox: every change of an account's data as an event, in the feed's order."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.core.clock import UTCDateTime
from contacthub.models.base import ID_LENGTH, Base, JSONDoc


class Event(Base):
    """One change, written in the transaction that made it.

    ``position`` is the feed's order within the account: taken from ``event_counters`` under its
    row lock just before the commit, so a later position always commits later and a walk by
    position never skips a row that commits behind it. ``contact_id`` (no foreign key: an erased
    contact's events stay, redacted) finds the events erasure must redact.
    """

    __tablename__ = "events"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(ID_LENGTH))
    type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]]
    changed_fields: Mapped[list[str] | None] = mapped_column(JSONDoc)
    previous: Mapped[dict[str, Any] | None]
    actor_key_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    contact_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))

    __table_args__ = (
        Index(None, "account_id", "id", unique=True),
        Index(None, "account_id", "contact_id"),
        Index(None, "created_at"),
    )


class EventCounter(Base):
    """The last position given to an account's events; its row lock orders their commits."""

    __tablename__ = "event_counters"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(BigInteger)
