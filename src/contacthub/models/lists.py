"""Lists (static, named groups of contacts) and their memberships."""

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.core.clock import UTCDateTime
from contacthub.models.base import ID_LENGTH, Base


class ContactList(Base):
    """A list. Names are unique in an account, compared case-insensitively (``name_key``)."""

    __tablename__ = "lists"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        Index(None, "account_id", "name_key", unique=True),
    )


class ListMembership(Base):
    """A contact on a list."""

    __tablename__ = "list_memberships"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    list_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "list_id"], ["lists.account_id", "lists.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["account_id", "contact_id"], ["contacts.account_id", "contacts.id"], ondelete="CASCADE"
        ),
        Index(None, "account_id", "contact_id", "list_id"),
    )
