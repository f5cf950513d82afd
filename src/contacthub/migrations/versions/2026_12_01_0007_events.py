"""Events: the outbox and the feed (issue 11).

- ``events``: every change of an account's data, keyed by ``(account_id, position)``, the feed's
  order; ``(account_id, id)`` unique; ``(account_id, contact_id)`` for erasure's redaction;
  ``created_at`` for the retention sweep.
- ``event_counters``: the last position given per account; its row lock orders the commits.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# JSONB on PostgreSQL, JSON text on SQLite.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "event_counters",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_event_counters_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_event_counters")),
    )
    op.create_table(
        "events",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("data", JSON_DOC, nullable=False),
        sa.Column("changed_fields", JSON_DOC, nullable=True),
        sa.Column("previous", JSON_DOC, nullable=True),
        sa.Column("actor_key_id", sa.String(length=40), nullable=True),
        sa.Column("contact_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_events_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "position", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_account_id_contact_id"), ["account_id", "contact_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_events_account_id_id"), ["account_id", "id"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_events_created_at"), ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_created_at"))
        batch_op.drop_index(batch_op.f("ix_events_account_id_id"))
        batch_op.drop_index(batch_op.f("ix_events_account_id_contact_id"))

    op.drop_table("events")
    op.drop_table("event_counters")
