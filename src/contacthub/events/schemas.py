"""Wire shapes of the event feed (API.md §7), and the one syntax of event types and patterns."""

import re
from collections.abc import Iterable
from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from contacthub.core.clock import to_wire

# A type ("contact.created"), every type under a prefix ("contact.*"), or every type ("*"): what
# the feed's ``types`` filter and a webhook's ``events`` accept.
TYPE_PATTERN = re.compile(r"\*|[a-z_]+(\.[a-z_]+)*(\.\*)?")
# The width of events.type: no longer pattern can match anything.
MAX_TYPE_LENGTH = 64


def is_type_pattern(value: str) -> bool:
    """Whether ``value`` is an event type or pattern."""
    return len(value) <= MAX_TYPE_LENGTH and TYPE_PATTERN.fullmatch(value) is not None


def split_patterns(patterns: Iterable[str]) -> tuple[list[str], list[str]] | None:
    """(exact types, prefixes such as ``contact.``) of valid patterns; None when ``*`` is among
    them (every type). The one reading of a pattern: the feed and the webhooks filter by it."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for pattern in patterns:
        if pattern == "*":
            return None
        if pattern.endswith(".*"):
            prefixes.add(pattern[:-1])
        else:
            exact.add(pattern)
    return sorted(exact), sorted(prefixes)


class Actor(TypedDict):
    keyId: str


class EventOut(TypedDict):
    """One event. ``changedFields`` and ``previous`` only where the type has them (updates),
    ``actor`` only when an API key made the change: absent, never null."""

    id: str
    type: str
    createdAt: str
    data: dict[str, Any]
    changedFields: NotRequired[list[str]]
    previous: NotRequired[dict[str, Any]]
    actor: NotRequired[Actor]


def event_out(row: Any) -> EventOut:
    """An event as the feed (and a webhook delivery) shows it."""
    shown: EventOut = {
        "id": row.id,
        "type": row.type,
        "createdAt": to_wire(row.created_at),
        "data": row.data,
    }
    if row.changed_fields is not None:
        shown["changedFields"] = row.changed_fields
    if row.previous is not None:
        shown["previous"] = row.previous
    if row.actor_key_id is not None:
        shown["actor"] = {"keyId": row.actor_key_id}
    return shown


class EventPage(TypedDict):
    success: Literal[True]
    data: list[EventOut]
    nextCursor: str
    done: bool
