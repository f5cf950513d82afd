"""Stored answers of requests sent with an Idempotency-Key, and the contacts each one names."""

from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.core.clock import UTCDateTime
from contacthub.models.base import ID_LENGTH, Base


class IdempotencyKey(Base):
    """One key of one account: the request it stood for and, once done, its answer.

    ``status`` is null while the first request is still running.
    """

    __tablename__ = "idempotency_keys"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "created_at"),)


class IdempotencyContact(Base):
    """A contact a stored answer names: erasing the contact forgets the answer (contacts/service.py
    ``delete_contact``, in the erasing transaction). Goes with its record (ON DELETE CASCADE)."""

    __tablename__ = "idempotency_contacts"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "key"],
            ["idempotency_keys.account_id", "idempotency_keys.key"],
            ondelete="CASCADE",
        ),
        Index(None, "account_id", "key"),
    )
