"""Initial schema: accounts, API keys, contacts, lists, tags, messages.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 00:06:44.939897
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# JSONB on PostgreSQL, JSON text on SQLite.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_api_keys_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "contacts",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("phone_number", sa.String(length=16), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_key", sa.String(length=320), nullable=True),
        sa.Column("instagram_id", sa.String(length=255), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("current_campaign", sa.String(length=255), nullable=True),
        sa.Column("current_campaign_data", JSON_DOC, nullable=True),
        sa.Column("channel", sa.String(length=255), nullable=True),
        sa.Column("custom_channel", sa.String(length=255), nullable=True),
        sa.Column("chat_widget_id", sa.String(length=255), nullable=True),
        sa.Column("is_bot_active", sa.Boolean(), nullable=False),
        sa.Column("do_not_disturb", sa.Boolean(), nullable=False),
        sa.Column("chat_window_until", sa.DateTime(), nullable=True),
        sa.Column("custom_fields", JSON_DOC, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_contacts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contacts_account_id_email_key_id"),
            ["account_id", "email_key", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_account_id_external_id"),
            ["account_id", "external_id"],
            unique=True,
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_account_id_instagram_id"),
            ["account_id", "instagram_id"],
            unique=True,
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_account_id_phone_number"),
            ["account_id", "phone_number"],
            unique=True,
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_account_id_updated_at_id"),
            ["account_id", "updated_at", "id"],
            unique=False,
        )

    op.create_table(
        "lists",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_lists_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_lists")),
    )
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lists_account_id_name_key"), ["account_id", "name_key"], unique=True
        )

    op.create_table(
        "tags",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_tags_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_tags")),
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tags_account_id_name_key"), ["account_id", "name_key"], unique=True
        )

    op.create_table(
        "contact_tags",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("tag_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", "contact_id"],
            ["contacts.account_id", "contacts.id"],
            name=op.f("fk_contact_tags_account_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id", "tag_id"],
            ["tags.account_id", "tags.id"],
            name=op.f("fk_contact_tags_account_id_tag_id_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "contact_id", "tag_id", name=op.f("pk_contact_tags")),
    )
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_tags_account_id_tag_id_contact_id"),
            ["account_id", "tag_id", "contact_id"],
            unique=False,
        )

    op.create_table(
        "list_memberships",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("list_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", "contact_id"],
            ["contacts.account_id", "contacts.id"],
            name=op.f("fk_list_memberships_account_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id", "list_id"],
            ["lists.account_id", "lists.id"],
            name=op.f("fk_list_memberships_account_id_list_id_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "list_id", "contact_id", name=op.f("pk_list_memberships")
        ),
    )
    with op.batch_alter_table("list_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_list_memberships_account_id_contact_id_list_id"),
            ["account_id", "contact_id", "list_id"],
            unique=False,
        )

    op.create_table(
        "messages",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column("media_content_type", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=True),
        sa.Column("message_sid", sa.String(length=255), nullable=True),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("metadata", JSON_DOC, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", "contact_id"],
            ["contacts.account_id", "contacts.id"],
            name=op.f("fk_messages_account_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_account_id_contact_id_timestamp_id"),
            ["account_id", "contact_id", "timestamp", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_messages_account_id_message_sid"),
            ["account_id", "message_sid"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_account_id_message_sid"))
        batch_op.drop_index(batch_op.f("ix_messages_account_id_contact_id_timestamp_id"))

    op.drop_table("messages")
    with op.batch_alter_table("list_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_memberships_account_id_contact_id_list_id"))

    op.drop_table("list_memberships")
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_tags_account_id_tag_id_contact_id"))

    op.drop_table("contact_tags")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tags_account_id_name_key"))

    op.drop_table("tags")
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lists_account_id_name_key"))

    op.drop_table("lists")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_account_id_updated_at_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_account_id_phone_number"))
        batch_op.drop_index(batch_op.f("ix_contacts_account_id_instagram_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_account_id_external_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_account_id_email_key_id"))

    op.drop_table("contacts")
    op.drop_table("api_keys")
    op.drop_table("accounts")
