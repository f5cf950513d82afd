"""Queries on accounts and API keys."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from contacthub.core.db import Record
from contacthub.models import Account, ApiKey


def insert_account(
    conn: Connection, *, id: str, name: str, default_country: str | None, created_at: datetime
) -> None:
    """Store a new account."""
    conn.execute(
        insert(Account).values(
            id=id, name=name, default_country=default_country, created_at=created_at
        )
    )


def get_account(conn: Connection, account_id: str) -> Record | None:
    """An account: id, name, default_country, created_at."""
    return conn.execute(
        select(Account.id, Account.name, Account.default_country, Account.created_at).where(
            Account.id == account_id
        )
    ).first()


# Built once, run with a parameter: asked for each number written without its country code.
_DEFAULT_COUNTRY = select(Account.default_country).where(Account.id == bindparam("account_id"))


def default_country(conn: Connection, account_id: str) -> str | None:
    """The account's default country (ISO 3166-1 alpha-2), or None."""
    country: str | None = conn.scalar(_DEFAULT_COUNTRY, {"account_id": account_id})
    return country


def set_default_country(conn: Connection, account_id: str, country: str | None) -> int:
    """Change the account's default country; the number of accounts changed (0 or 1)."""
    return conn.execute(
        update(Account).where(Account.id == account_id).values(default_country=country)
    ).rowcount


def find_account(conn: Connection, id_or_name: str) -> Record | None:
    """The account with this id or, failing that, this name."""
    return conn.execute(
        select(Account.id, Account.name)
        .where(or_(Account.id == id_or_name, Account.name == id_or_name))
        .order_by((Account.id == id_or_name).desc())
        .limit(1)
    ).first()


def list_accounts(conn: Connection) -> Sequence[Record]:
    """Every account, oldest first."""
    return conn.execute(
        select(Account.id, Account.name, Account.default_country, Account.created_at).order_by(
            Account.id
        )
    ).all()


def insert_key(
    conn: Connection,
    *,
    account_id: str,
    id: str,
    key_hash: str,
    hint: str,
    read_only: bool,
    created_at: datetime,
) -> None:
    """Store a new key's hash."""
    conn.execute(
        insert(ApiKey).values(
            account_id=account_id,
            id=id,
            key_hash=key_hash,
            hint=hint,
            read_only=read_only,
            created_at=created_at,
        )
    )


# The key check: the unrevoked key with a hash, as account_id, id, read_only, last_used_at. One
# statement, run on a driver connection by accounts.auth (SQLAlchemy as its fallback); the phone
# lookup (contacts/lookup.py) runs it with the contact joined on, by these same columns and
# condition.
LIVE_KEY = select(ApiKey.account_id, ApiKey.id, ApiKey.read_only, ApiKey.last_used_at).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)


def find_live_key(conn: Connection, key_hash: str) -> Mapping[str, Any] | None:
    """The unrevoked key with this hash (see ``LIVE_KEY``)."""
    row = conn.execute(LIVE_KEY, {"key_hash": key_hash}).first()
    return None if row is None else dict(row._mapping)


def touch_key(conn: Connection, account_id: str, key_id: str, when: datetime) -> None:
    """Record that a key was used."""
    conn.execute(
        update(ApiKey)
        .where(ApiKey.account_id == account_id, ApiKey.id == key_id)
        .values(last_used_at=when)
    )


def list_keys(conn: Connection, account_id: str) -> Sequence[Record]:
    """An account's keys, oldest first, revoked ones included."""
    return conn.execute(
        select(
            ApiKey.id,
            ApiKey.hint,
            ApiKey.read_only,
            ApiKey.created_at,
            ApiKey.revoked_at,
            ApiKey.last_used_at,
        )
        .where(ApiKey.account_id == account_id)
        .order_by(ApiKey.id)
    ).all()


def revoke_keys(
    conn: Connection, account_id: str | None, *, key_id: str | None, when: datetime
) -> int:
    """Revoke one key by id, or every live key of an account; the number revoked."""
    statement = update(ApiKey).where(ApiKey.revoked_at.is_(None)).values(revoked_at=when)
    if account_id is not None:
        statement = statement.where(ApiKey.account_id == account_id)
    if key_id is not None:
        statement = statement.where(ApiKey.id == key_id)
    return conn.execute(statement).rowcount
