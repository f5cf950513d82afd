"""Tags and the contacts that carry them."""

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contacthub.core.clock import UTCDateTime
from contacthub.models.base import ID_LENGTH, Base


class Tag(Base):
    """A tag. Names are unique in an account, compared case-insensitively (``name_key``)."""

    __tablename__ = "tags"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        Index(None, "account_id", "name_key", unique=True),
    )


class ContactTag(Base):
    """A tag on a contact."""

    __tablename__ = "contact_tags"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    tag_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "contact_id"], ["contacts.account_id", "contacts.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["account_id", "tag_id"], ["tags.account_id", "tags.id"], ondelete="CASCADE"
        ),
        Index(None, "account_id", "tag_id", "contact_id"),
    )
