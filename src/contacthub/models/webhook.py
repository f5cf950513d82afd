"""Webhook endpoints and their delivery attempts."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.core.clock import UTCDateTime
from contacthub.models.base import ID_LENGTH, Base, JSONDoc


class Webhook(Base):
    """An endpoint that receives an account's events.

    ``secret`` is kept as issued (``whsec_…``): the worker must sign with it, so it cannot be
    hashed like an API key. ``previous_secret`` signs too until ``previous_until`` (rotation).
    ``position`` is the last event position dispatched to it (its cursor on ``events``), and
    ``dispatched_at`` when that was (the endpoint dispatched to longest ago goes first).
    """

    __tablename__ = "webhooks"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSONDoc)
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool]
    secret: Mapped[str] = mapped_column(String(64))
    previous_secret: Mapped[str | None] = mapped_column(String(64))
    previous_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    position: Mapped[int] = mapped_column(BigInteger)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),)


class WebhookDelivery(Base):
    """One attempt to deliver one event to one endpoint; a ``pending`` row is a job.

    A pending attempt is due at ``next_attempt_at`` and claimed by a worker until
    ``lease_until``; a worker that dies leaves the lease to expire, and the attempt is claimed
    again. No copy of the event is kept: it is rendered from ``events`` when sent. ``retry`` is the
    attempt's place in the retry schedule (``recover`` starts a new series at 0).
    """

    __tablename__ = "webhook_deliveries"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    event_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    attempt: Mapped[int]
    retry: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))  # a worker's uuid4().hex

    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "webhook_id"],
            ["webhooks.account_id", "webhooks.id"],
            ondelete="CASCADE",
        ),
        # One row per attempt: a second worker recording the same attempt inserts nothing.
        Index(None, "account_id", "webhook_id", "event_id", "attempt", unique=True),
        # The deliveries page, newest first.
        Index(None, "account_id", "webhook_id", "id"),
        # What the workers claim: pending attempts by due time.
        Index(None, "status", "next_attempt_at"),
    )


class Job(Base):
    """A periodic job (the retention sweeps), run by one worker at a time under a lease."""

    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
