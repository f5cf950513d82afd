"""Wire shapes of the event feed (API.md §7)."""

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from contacthub.core.clock import to_wire


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
