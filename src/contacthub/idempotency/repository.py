"""Queries on stored idempotent answers, always filtered by account (except the expiry sweep)."""

from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.models import IdempotencyKey


def claim(conn: Connection, account_id: str, key: str, fingerprint: str, when: datetime) -> bool:
    """Mark the key as taken by a running request; False if it already was."""
    row = {
        "account_id": account_id,
        "key": key,
        "fingerprint": fingerprint,
        "status": None,
        "body": None,
        "created_at": when,
    }
    return insert_ignoring_duplicates(conn, IdempotencyKey, [row]) == 1


def get(conn: Connection, account_id: str, key: str) -> Record | None:
    """The key's record: (fingerprint, status, body, created_at)."""
    return conn.execute(
        select(
            IdempotencyKey.fingerprint,
            IdempotencyKey.status,
            IdempotencyKey.body,
            IdempotencyKey.created_at,
        ).where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
    ).first()


def reclaim(conn: Connection, account_id: str, key: str, fingerprint: str, when: datetime) -> None:
    """Take over a key whose record expired or whose request died before answering."""
    conn.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
        .values(fingerprint=fingerprint, status=None, body=None, created_at=when)
    )


def store(conn: Connection, account_id: str, key: str, status: int, body: bytes) -> None:
    """Keep the answer, to replay it."""
    conn.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
        .values(status=status, body=body)
    )


def release(conn: Connection, account_id: str, key: str) -> None:
    """Forget a key whose request failed on our side, so a retry runs again."""
    conn.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.account_id == account_id, IdempotencyKey.key == key
        )
    )


def sweep(conn: Connection, before: datetime) -> int:
    """Forget every record older than ``before``, in all accounts; the number forgotten."""
    return conn.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < before)).rowcount
