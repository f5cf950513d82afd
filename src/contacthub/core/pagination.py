"""Keyset pagination: ``limit`` + an opaque ``cursor`` holding the last row's sort key.

Pages never use OFFSET, so a walk costs the same on page 1,000 as on page 1 and rows inserted
meanwhile never shift what is left to see.

A cursor is base64url(tag + sealed key). The tag is an HMAC-SHA256 (16 bytes) under the server's
secret of the cursor's binding (account, endpoint, filters) and the sort key; the key is hidden
by a keystream drawn from the same secret and the tag. So a cursor reads as noise, and one from
another account, endpoint or set of filters, or altered in any bit, does not verify: a 400.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Query, Request
from sqlalchemy import Connection, text

from contacthub.core.clock import parse_wire
from contacthub.core.deps import ReadConn
from contacthub.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_TAG_BYTES = 16

# Per database URL: the secret the migration stored (it never changes once made).
_stored_secrets: dict[str, bytes] = {}


def _stored_secret(conn: Connection) -> bytes:
    url = conn.engine.url.render_as_string(hide_password=False)
    if url not in _stored_secrets:
        value = conn.scalar(text("SELECT value FROM server_secrets WHERE name = 'cursor'"))
        _stored_secrets[url] = bytes(value)
    return _stored_secrets[url]


async def _cursor_secret(request: Request, conn: ReadConn) -> bytes:
    configured: str | None = request.app.state.settings.secret_key
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    return _stored_secret(conn)


# The secret that signs cursors: CONTACTHUB_SECRET_KEY, or else the database's own.
CursorSecret = Annotated[bytes, Depends(_cursor_secret)]

# The two query parameters of every paginated route.
Limit = Annotated[int | None, Query(description="Page size, 1..500 (default 50)")]
Cursor = Annotated[str | None, Query(description="nextCursor of the previous page")]


@dataclass(frozen=True, slots=True)
class Binding:
    """What a cursor is good for: one account, one endpoint, one set of filters."""

    secret: bytes
    account_id: str
    endpoint: str
    filters: tuple[Any, ...] = ()

    def _context(self) -> bytes:
        return orjson.dumps([self.account_id, self.endpoint, list(self.filters)])

    def _tag(self, payload: bytes) -> bytes:
        digest = hmac.new(self.secret, self._context() + b"\0" + payload, hashlib.sha256)
        return digest.digest()[:_TAG_BYTES]

    def _stream(self, tag: bytes, length: int) -> bytes:
        blocks = (
            hashlib.sha256(self.secret + tag + n.to_bytes(4, "big")).digest()
            for n in range(length // 32 + 1)
        )
        return b"".join(blocks)[:length]

    def seal(self, payload: bytes) -> bytes:
        """The tag and the payload hidden under it."""
        tag = self._tag(payload)
        return tag + bytes(
            a ^ b for a, b in zip(payload, self._stream(tag, len(payload)), strict=True)
        )

    def open(self, sealed: bytes) -> bytes | None:
        """The payload, or None when the cursor was not sealed for this binding."""
        tag, hidden = sealed[:_TAG_BYTES], sealed[_TAG_BYTES:]
        payload = bytes(a ^ b for a, b in zip(hidden, self._stream(tag, len(hidden)), strict=True))
        return payload if hmac.compare_digest(tag, self._tag(payload)) else None


def check_limit(limit: int | None) -> int:
    """The page size, or a 400 naming ``limit``."""
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(key: list[Any], binding: Binding) -> str:
    """The cursor that resumes after a row with this sort key."""
    return base64.urlsafe_b64encode(binding.seal(orjson.dumps(key))).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int, binding: Binding) -> list[Any] | None:
    """The sort key inside a cursor, or a 400 naming ``cursor``."""
    if cursor is None or cursor == "":
        return None
    try:
        payload = binding.open(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = None if payload is None else orjson.loads(payload)
    except (binascii.Error, ValueError):
        key = None
    if not isinstance(key, list) or len(key) != arity or not all(isinstance(v, str) for v in key):
        raise _foreign_cursor()
    return key


def decode_timed_cursor(cursor: str | None, binding: Binding) -> tuple[datetime, str] | None:
    """The (time, id) sort key inside a cursor, or a 400 naming ``cursor``."""
    key = decode_cursor(cursor, 2, binding)
    if key is None:
        return None
    try:
        return parse_wire(key[0]), key[1]
    except ValueError:
        raise _foreign_cursor() from None


def page(
    rows: Sequence[T], limit: int, key: Callable[[T], list[str]], binding: Binding
) -> tuple[list[T], str | None]:
    """A page from ``limit + 1`` rows: the first ``limit``, and the cursor after the last (if more)."""
    if len(rows) > limit:
        return list(rows[:limit]), encode_cursor(key(rows[limit - 1]), binding)
    return list(rows), None


def _foreign_cursor() -> ValidationFailed:
    return ValidationFailed.field("cursor", "is not a cursor this endpoint gave out")
