"""Stored answers of requests sent with an Idempotency-Key."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.core.clock import UTCDateTime
from contacthub.models.base import Base


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
