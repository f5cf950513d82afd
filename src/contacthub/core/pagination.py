"""Keyset pagination: ``limit`` + an opaque ``cursor`` holding the last row's sort key.

A cursor is base64url(JSON list of the sort key's values). Pages never use OFFSET, so a walk costs
the same on page 1,000 as on page 1 and rows inserted meanwhile never shift what is left to see.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson

from contacthub.core.clock import parse_wire
from contacthub.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def check_limit(limit: int | None) -> int:
    """The page size, or a 400 naming ``limit``."""
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(key: list[Any]) -> str:
    """The cursor that resumes after a row with this sort key."""
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The sort key inside a cursor, or a 400 naming ``cursor``."""
    if cursor is None or cursor == "":
        return None
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        key = None
    if not isinstance(key, list) or len(key) != arity or not all(isinstance(v, str) for v in key):
        raise _foreign_cursor()
    return key


def decode_timed_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The (time, id) sort key inside a cursor, or a 400 naming ``cursor``."""
    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    try:
        return parse_wire(key[0]), key[1]
    except ValueError:
        raise _foreign_cursor() from None


def page(
    rows: Sequence[T], limit: int, key: Callable[[T], list[str]]
) -> tuple[list[T], str | None]:
    """A page from ``limit + 1`` rows: the first ``limit``, and the cursor after the last (if more)."""
    if len(rows) > limit:
        return list(rows[:limit]), encode_cursor(key(rows[limit - 1]))
    return list(rows), None


def _foreign_cursor() -> ValidationFailed:
    return ValidationFailed.field("cursor", "is not a cursor this endpoint gave out")
