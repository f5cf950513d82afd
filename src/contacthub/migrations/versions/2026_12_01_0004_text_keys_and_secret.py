"""Text keys and a server secret (issue 9: review L3, L4, L9).

- ``contacts.full_name_key`` and ``contacts.last_name_key``: the folded names search compares.
- ``contacts.email_key`` becomes the lower-cased address (it was ``casefold()``, which made
  "Straße@" and "strasse@" one mailbox); existing rows are rewritten.
- ``server_secrets``: one random secret per database, made here, that signs cursors when
  CONTACTHUB_SECRET_KEY is not set.

The folding is written out here, not imported, so that this migration keeps doing what it did
when the application's rules change later.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01 00:00:00
"""

import secrets
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _email_key(email: str) -> str:
    local, _, domain = unicodedata.normalize("NFC", email).rpartition("@")
    return f"{local.lower()}@{domain.lower()}"


contacts = sa.table(
    "contacts",
    sa.column("account_id", sa.String),
    sa.column("id", sa.String),
    sa.column("first_name", sa.String),
    sa.column("last_name", sa.String),
    sa.column("email", sa.String),
    sa.column("email_key", sa.String),
    sa.column("full_name_key", sa.Text),
    sa.column("last_name_key", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name_key", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("last_name_key", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            contacts.c.account_id,
            contacts.c.id,
            contacts.c.first_name,
            contacts.c.last_name,
            contacts.c.email,
        )
    ).all()
    update = (
        contacts.update()
        .where(
            contacts.c.account_id == sa.bindparam("b_account_id"),
            contacts.c.id == sa.bindparam("b_id"),
        )
        .values(
            full_name_key=sa.bindparam("b_full"),
            last_name_key=sa.bindparam("b_last"),
            email_key=sa.bindparam("b_email"),
        )
    )
    for start in range(0, len(rows), 1000):
        conn.execute(
            update,
            [
                {
                    "b_account_id": row.account_id,
                    "b_id": row.id,
                    "b_full": _fold(f"{row.first_name} {row.last_name}"),
                    "b_last": _fold(row.last_name),
                    "b_email": None if row.email is None else _email_key(row.email),
                }
                for row in rows[start : start + 1000]
            ],
        )
    table = op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )
    op.bulk_insert(table, [{"name": "cursor", "value": secrets.token_bytes(32)}])


def downgrade() -> None:
    op.drop_table("server_secrets")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("last_name_key")
        batch_op.drop_column("full_name_key")
