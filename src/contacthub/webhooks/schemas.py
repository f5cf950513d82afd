"""Wire shapes of webhook endpoints and their deliveries (read shapes as ``TypedDict``s)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator
from typing_extensions import TypedDict

from contacthub.core.clock import parse_wire, to_wire
from contacthub.core.wire import Text, WireModel
from contacthub.events.schemas import MAX_TYPE_LENGTH, is_type_pattern

Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Patterns = Annotated[list[str], Field(min_length=1, max_length=100)]


def _check_patterns(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    for pattern in value:
        if not is_type_pattern(pattern):
            raise ValueError(
                f"{pattern[:MAX_TYPE_LENGTH]!r} is not an event type or pattern of at most "
                f"{MAX_TYPE_LENGTH} characters (e.g. contact.created, contact.*, *)"
            )
    return list(dict.fromkeys(value))


class WebhookCreate(WireModel):
    """Body of ``POST /v1/webhooks``."""

    url: Url
    events: Patterns
    description: Text | None = None

    _events = field_validator("events")(_check_patterns)


class WebhookUpdate(WireModel):
    """Body of ``PATCH /v1/webhooks/{id}``: only the fields sent change."""

    url: Url | None = None
    events: Patterns | None = None
    description: Text | None = None
    enabled: bool | None = None

    _events = field_validator("events")(_check_patterns)

    @field_validator("url", "events", "enabled", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class Recover(WireModel):
    """Body of ``POST /v1/webhooks/{id}/recover``."""

    since: Annotated[str, Field(examples=["2026-12-01T00:00:00.000Z"])]

    @field_validator("since")
    @classmethod
    def _time(cls, value: str) -> str:
        try:
            parse_wire(value)
        except ValueError as exc:
            if str(exc).startswith("must be"):  # our own words (a time out of range)
                raise
            raise ValueError("must be an ISO 8601 time such as 2026-12-01T00:00:00.000Z") from None
        return value

    def since_time(self) -> datetime:
        """``since`` as a time."""
        return parse_wire(self.since)


class WebhookOut(TypedDict):
    """An endpoint as the API shows it (never its secret)."""

    id: Annotated[str, Field(examples=["wh_01JDXQ2V3M4N5P6Q7R8S9T0V1W"])]
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    createdAt: str
    updatedAt: str


class WebhookWithSecret(WebhookOut):
    """An endpoint as its creation shows it, with its secret (shown this once)."""

    secret: Annotated[str, Field(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])]


def webhook_out(row: Any) -> WebhookOut:
    """An endpoint as the API shows it."""
    return {
        "id": row.id,
        "url": row.url,
        "events": list(row.events),
        "description": row.description,
        "enabled": row.enabled,
        "createdAt": to_wire(row.created_at),
        "updatedAt": to_wire(row.updated_at),
    }


class DeliveryOut(TypedDict):
    """One attempt to deliver one event."""

    id: str
    eventId: str
    attempt: int
    status: Literal["pending", "succeeded", "failed", "abandoned"]
    responseStatus: int | None
    error: str | None
    durationMs: int | None
    attemptedAt: str | None
    nextAttemptAt: str | None


def delivery_out(row: Any) -> DeliveryOut:
    """An attempt as the API shows it."""
    return {
        "id": row.id,
        "eventId": row.event_id,
        "attempt": row.attempt,
        "status": row.status,
        "responseStatus": row.response_status,
        "error": row.error,
        "durationMs": row.duration_ms,
        "attemptedAt": to_wire(row.attempted_at),
        "nextAttemptAt": to_wire(row.next_attempt_at),
    }


class WebhookData(TypedDict):
    success: Literal[True]
    data: WebhookOut


class WebhookCreated(TypedDict):
    success: Literal[True]
    data: WebhookWithSecret


class WebhookPage(TypedDict):
    success: Literal[True]
    data: list[WebhookOut]
    nextCursor: str | None


class DeliveryPage(TypedDict):
    success: Literal[True]
    data: list[DeliveryOut]
    nextCursor: str | None


class SecretOut(TypedDict):
    secret: str


class SecretData(TypedDict):
    success: Literal[True]
    data: SecretOut


class Queued(TypedDict):
    queued: int


class QueuedData(TypedDict):
    success: Literal[True]
    data: Queued
