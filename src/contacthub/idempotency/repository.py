"""Queries on stored idempotent answers, always filtered by account (except the expiry sweep)."""

import re
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.models import Contact, IdempotencyContact, IdempotencyKey

_CONTACT_ID = re.compile(r"ct_[0-9A-Z]{26}")
# The fields of an answer that name a contact: a contact's own "id", "contactId" anywhere (the
# data of a write, a 409's envelope). Ids a bulk call did not find ("notFound") name no one.
_ID_FIELDS = frozenset({"id", "contactId"})


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
        delete(IdempotencyContact).where(
            IdempotencyContact.account_id == account_id, IdempotencyContact.key == key
        )
    )
    conn.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
        .values(fingerprint=fingerprint, status=None, body=None, created_at=when)
    )


def store(
    conn: Connection,
    account_id: str,
    key: str,
    status: int,
    body: bytes,
    *,
    addressed: frozenset[str] = frozenset(),
    addressed_must_exist: bool = False,
) -> bool:
    """Keep the answer, to replay it, with the contacts it names and the ``addressed`` ones (the
    request's path) that exist: ``forget_contact`` finds it by them. An answer naming a contact
    that no longer exists (erased since the request committed; with ``addressed_must_exist``, an
    addressed one too) is not kept: the key is forgotten and a retry runs again. Whether the
    answer was kept."""
    required = _named_contacts(body) | (addressed if addressed_must_exist else frozenset())
    named = required | addressed
    if named:
        # FOR KEY SHARE: an erasure of these contacts waits for this store to commit, then
        # finds its rows; one that committed first leaves a contact missing here.
        present = set(
            conn.scalars(
                select(Contact.id)
                .where(Contact.account_id == account_id, Contact.id.in_(sorted(named)))
                .with_for_update(key_share=True)
            )
        )
        if not required <= present:
            release(conn, account_id, key)
            return False
        if present:
            rows = [
                {"account_id": account_id, "contact_id": c, "key": key} for c in sorted(present)
            ]
            conn.execute(insert(IdempotencyContact), rows)
    conn.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
        .values(status=status, body=body)
    )
    return True


def forget_contact(conn: Connection, account_id: str, contact_id: str) -> None:
    """Delete every stored answer that names this contact (its erasure)."""
    named = select(IdempotencyContact.key).where(
        IdempotencyContact.account_id == account_id, IdempotencyContact.contact_id == contact_id
    )
    conn.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.account_id == account_id, IdempotencyKey.key.in_(named)
        )
    )


def contacts_in(path: str) -> frozenset[str]:
    """The contact ids a request path addresses."""
    return frozenset(_CONTACT_ID.findall(path)) if "ct_" in path else frozenset()


def _named_contacts(body: bytes) -> set[str]:
    """The contact ids in an answer's id fields."""
    if b"ct_" not in body:
        return set()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return set(_CONTACT_ID.findall(body.decode("utf-8", "replace")))
    found: set[str] = set()
    _walk(document, found)
    return found


def _walk(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            if name in _ID_FIELDS and isinstance(item, str) and _CONTACT_ID.fullmatch(item):
                found.add(item)
            elif name != "notFound":
                _walk(item, found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, found)


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
