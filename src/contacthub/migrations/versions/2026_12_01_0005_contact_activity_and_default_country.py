"""Contact activity and the account's default country (issue 10).

- ``contacts.do_not_disturb_reason``: writable text, null when not given.
- ``contacts.last_incoming_message_at``, ``last_activity_at``, ``bot_message_count``: kept as
  messages are recorded; filled here from the messages already stored.
- ``accounts.default_country``: national numbers are read in this country.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

contacts = sa.table(
    "contacts",
    sa.column("account_id", sa.String),
    sa.column("id", sa.String),
    sa.column("last_incoming_message_at", sa.DateTime),
    sa.column("last_activity_at", sa.DateTime),
    sa.column("bot_message_count", sa.Integer),
)
messages = sa.table(
    "messages",
    sa.column("account_id", sa.String),
    sa.column("contact_id", sa.String),
    sa.column("direction", sa.String),
    sa.column("sender", sa.String),
    sa.column("timestamp", sa.DateTime),
)


def _of_contact(column: sa.ColumnElement[Any], *where: sa.ColumnElement[bool]) -> Any:
    """``column`` over the contact's messages (correlated with the contacts row being updated)."""
    return (
        sa.select(column)
        .where(
            messages.c.account_id == contacts.c.account_id,
            messages.c.contact_id == contacts.c.id,
            *where,
        )
        .scalar_subquery()
    )


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_country", sa.String(length=2), nullable=True))
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("do_not_disturb_reason", sa.String(length=255), nullable=True)
        )
        batch_op.add_column(sa.Column("last_incoming_message_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_activity_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("bot_message_count", sa.Integer(), server_default="0", nullable=False)
        )
    # One statement for every contact that has messages, each figure an indexed walk of
    # (account_id, contact_id, timestamp, id).
    has_messages = sa.exists().where(
        messages.c.account_id == contacts.c.account_id, messages.c.contact_id == contacts.c.id
    )
    op.get_bind().execute(
        contacts.update()
        .where(has_messages)
        .values(
            last_activity_at=_of_contact(sa.func.max(messages.c.timestamp)),
            last_incoming_message_at=_of_contact(
                sa.func.max(messages.c.timestamp), messages.c.direction == "inbound"
            ),
            bot_message_count=_of_contact(sa.func.count(), messages.c.sender == "bot"),
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("bot_message_count")
        batch_op.drop_column("last_activity_at")
        batch_op.drop_column("last_incoming_message_at")
        batch_op.drop_column("do_not_disturb_reason")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("default_country")
