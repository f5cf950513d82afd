"""The contacts each stored idempotent answer names (issue 9: review H2).

Erasing a contact deletes the ``idempotency_keys`` records whose answers name it, found through
this table; a row goes with its record (ON DELETE CASCADE). Records stored before this migration
name no contact here: they are forgotten by the daily sweep within 24 hours.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_contacts",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", "key"],
            ["idempotency_keys.account_id", "idempotency_keys.key"],
            name=op.f("fk_idempotency_contacts_account_id_key_idempotency_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "contact_id", "key", name=op.f("pk_idempotency_contacts")
        ),
    )
    with op.batch_alter_table("idempotency_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_contacts_account_id_key"), ["account_id", "key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_contacts_account_id_key"))
    op.drop_table("idempotency_contacts")
