"""Webhook rules: endpoints and secrets, dispatch of events to deliveries, and their outcomes."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Connection, true

from contacthub.core.clock import utcnow
from contacthub.core.db import Record
from contacthub.core.ids import new_id
from contacthub.core.pagination import Binding, decode_cursor, page
from contacthub.errors import NotFound, ValidationFailed
from contacthub.events import repository as events_repository
from contacthub.events.schemas import event_out, split_patterns
from contacthub.webhooks import repository
from contacthub.webhooks.delivery import Outcome, new_secret, url_problem
from contacthub.webhooks.schemas import (
    DeliveryOut,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecret,
    delivery_out,
    webhook_out,
)

WEBHOOK_NOT_FOUND = "Webhook not found"
# Deliveries are signed with the old secret too for this long after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)
# How long a claimed attempt is a worker's before another may take it (a send takes ≤ 10 s).
LEASE = timedelta(seconds=60)
# Endpoints an account may have (README, "Webhooks").
MAX_WEBHOOKS = 50
# Attempts to one endpoint in flight at once, across all workers: a slow endpoint holds this many
# of a worker's sends, never all of them.
PER_ENDPOINT = 10


def _require(conn: Connection, account_id: str, webhook_id: str) -> Record:
    row = repository.get(conn, account_id, webhook_id)
    if row is None:
        raise NotFound(WEBHOOK_NOT_FOUND)
    return row


def _check_url(url: str, allow_private: bool) -> None:
    problem = url_problem(url, allow_private=allow_private)
    if problem is not None:
        raise ValidationFailed.field("url", problem)


def create_webhook(
    conn: Connection, account_id: str, body: WebhookCreate, *, allow_private: bool
) -> WebhookWithSecret:
    """Create an endpoint; it receives the events committed from now on."""
    _check_url(body.url, allow_private)
    if repository.count(conn, account_id) >= MAX_WEBHOOKS:
        raise ValidationFailed.field("url", f"an account may have at most {MAX_WEBHOOKS} webhooks")
    now, webhook_id, secret = utcnow(), new_id("webhook"), new_secret()
    repository.insert_webhook(
        conn,
        {
            "account_id": account_id,
            "id": webhook_id,
            "url": body.url,
            "events": body.events,
            "description": body.description,
            "enabled": True,
            "secret": secret,
            "position": repository.last_position(conn, account_id),
            "created_at": now,
            "updated_at": now,
        },
    )
    return {**webhook_out(_require(conn, account_id, webhook_id)), "secret": secret}


def get_webhook(conn: Connection, account_id: str, webhook_id: str) -> WebhookOut:
    """One endpoint (never its secret)."""
    return webhook_out(_require(conn, account_id, webhook_id))


def list_webhooks(
    conn: Connection, account_id: str, *, cursor: str | None, limit: int, secret: bytes
) -> tuple[list[WebhookOut], str | None]:
    """A page of endpoints, oldest first, and the cursor of the next page."""
    binding = Binding(secret, account_id, "webhooks")
    key = decode_cursor(cursor, 1, binding)
    rows = repository.page(conn, account_id, after=key[0] if key else None, limit=limit)
    shown, next_cursor = page(rows, limit, lambda row: [row.id], binding)
    return [webhook_out(row) for row in shown], next_cursor


def update_webhook(
    conn: Connection, account_id: str, webhook_id: str, body: WebhookUpdate, *, allow_private: bool
) -> WebhookOut:
    """Change an endpoint's URL, events, description or enabled flag."""
    _require(conn, account_id, webhook_id)
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "url" in values:
        _check_url(values["url"], allow_private)
    if values:
        repository.update_webhook(conn, account_id, webhook_id, {**values, "updated_at": utcnow()})
    return webhook_out(_require(conn, account_id, webhook_id))


def delete_webhook(conn: Connection, account_id: str, webhook_id: str) -> None:
    """Delete an endpoint; nothing more is sent to it."""
    if not repository.delete_webhook(conn, account_id, webhook_id):
        raise NotFound(WEBHOOK_NOT_FOUND)


def rotate_secret(conn: Connection, account_id: str, webhook_id: str) -> str:
    """A new secret; the old one signs too for 24 hours."""
    row = _require(conn, account_id, webhook_id)
    now, secret = utcnow(), new_secret()
    repository.update_webhook(
        conn,
        account_id,
        webhook_id,
        {
            "secret": secret,
            "previous_secret": row.secret,
            "previous_until": now + ROTATION_OVERLAP,
            "updated_at": now,
        },
    )
    return secret


def list_deliveries(
    conn: Connection,
    account_id: str,
    webhook_id: str,
    *,
    cursor: str | None,
    limit: int,
    secret: bytes,
) -> tuple[list[DeliveryOut], str | None]:
    """A page of an endpoint's attempts, newest first."""
    _require(conn, account_id, webhook_id)
    binding = Binding(secret, account_id, "webhook-deliveries", (webhook_id,))
    key = decode_cursor(cursor, 1, binding)
    rows = repository.deliveries(
        conn, account_id, webhook_id, before=key[0] if key else None, limit=limit
    )
    shown, next_cursor = page(rows, limit, lambda row: [row.id], binding)
    return [delivery_out(row) for row in shown], next_cursor


def recover(conn: Connection, account_id: str, webhook_id: str, since: datetime) -> int:
    """Queue again every event since ``since`` that did not succeed; how many."""
    _require(conn, account_id, webhook_id)
    now = utcnow()
    rows = [
        _attempt(webhook_id, row.event_id, row.attempt + 1, 0, now)
        for row in repository.not_succeeded(conn, account_id, webhook_id, since)
    ]
    return repository.insert_deliveries(conn, account_id, rows)


def _attempt(
    webhook_id: str, event_id: str, attempt: int, retry: int, due: datetime
) -> dict[str, Any]:
    return {
        "id": new_id("delivery"),
        "webhook_id": webhook_id,
        "event_id": event_id,
        "attempt": attempt,
        "retry": retry,
        "status": "pending",
        "next_attempt_at": due,
    }


def dispatch(conn: Connection, now: datetime, *, endpoints: int = 50, events: int = 1000) -> int:
    """Turn events past each enabled endpoint's cursor into first attempts; how many events
    were looked at (0: nothing to do). The endpoints dispatched to longest ago go first."""
    seen = 0
    for endpoint in repository.endpoints_behind(conn, endpoints):
        types = split_patterns(endpoint.events)
        wanted = true() if types is None else events_repository.of_types(*types)
        batch = repository.events_after(
            conn, endpoint.account_id, endpoint.position, events, wanted
        )
        if not batch:
            continue
        rows = [_attempt(endpoint.id, event.id, 1, 0, now) for event in batch if event.wanted]
        repository.insert_deliveries(conn, endpoint.account_id, rows)
        repository.update_webhook(
            conn,
            endpoint.account_id,
            endpoint.id,
            {"position": batch[-1].position, "dispatched_at": now},
        )
        seen += len(batch)
    return seen


@dataclass(frozen=True, slots=True)
class Job:
    """A leased attempt, ready to send: where, signed with what, and the event's JSON."""

    account_id: str
    id: str
    webhook_id: str
    event_id: str
    attempt: int
    retry: int
    url: str
    keys: list[str]
    body: bytes | None  # None: the event is no longer kept


def claim(
    conn: Connection, now: datetime, owner: str, limit: int, *, lease: timedelta = LEASE
) -> list[Job]:
    """Lease up to ``limit`` due attempts for this worker, with what sending each needs."""
    jobs = []
    claims = repository.claim_due(conn, now, owner, now + lease, limit, per_endpoint=PER_ENDPOINT)
    for account_id, delivery_id in claims:
        row = repository.claimed(conn, account_id, delivery_id)
        if row is None:
            continue
        keys = [row.secret]
        if row.previous_secret and row.previous_until and row.previous_until > now:
            keys.append(row.previous_secret)
        jobs.append(
            Job(
                account_id=account_id,
                id=delivery_id,
                webhook_id=row.webhook_id,
                event_id=row.event_id,
                attempt=row.attempt,
                retry=row.retry,
                url=row.url,
                keys=keys,
                body=None if row.type is None else render_event(row),
            )
        )
    return jobs


def render_event(row: Any) -> bytes:
    """The event's JSON, as the feed shows it, rendered from the events table when sent (so a
    redaction by erasure reaches deliveries still pending)."""
    event = SimpleNamespace(
        id=row.event_id,
        type=row.type,
        created_at=row.created_at,
        data=row.data,
        changed_fields=row.changed_fields,
        previous=row.previous,
        actor_key_id=row.actor_key_id,
    )
    return orjson.dumps(event_out(event))


def settle(
    conn: Connection,
    job: Job,
    outcome: Outcome | None,
    *,
    now: datetime,
    owner: str,
    waits: list[int],
) -> None:
    """Record an attempt's outcome (None: its event is gone) and schedule the next one."""
    values: dict[str, Any] = {"attempted_at": now, "lease_until": None}
    next_due: datetime | None = None
    if outcome is None:
        values.update(status="abandoned", error="the event is no longer kept", next_attempt_at=None)
    else:
        values.update(
            response_status=outcome.status, error=outcome.error, duration_ms=outcome.duration_ms
        )
        if outcome.succeeded:
            values.update(status="succeeded", next_attempt_at=None)
        elif outcome.status == 410:  # final: the endpoint is disabled, this event not retried
            values.update(
                status="abandoned",
                next_attempt_at=None,
                error="HTTP 410: the endpoint is gone, so it was disabled",
            )
        elif job.retry < len(waits):
            wait = waits[job.retry]
            if outcome.retry_after is not None and outcome.retry_after > wait:
                wait = outcome.retry_after
            next_due = now + timedelta(seconds=wait)
            values.update(status="failed", next_attempt_at=next_due)
        else:
            values.update(status="abandoned", next_attempt_at=None)
    if not repository.record(conn, job.account_id, job.id, owner, values):
        return  # the lease ran out and another worker has the attempt: it settles it
    if outcome is not None and outcome.status == 410:
        repository.update_webhook(
            conn, job.account_id, job.webhook_id, {"enabled": False, "updated_at": now}
        )
    if next_due is not None:
        retry = _attempt(job.webhook_id, job.event_id, job.attempt + 1, job.retry + 1, next_due)
        repository.insert_deliveries(conn, job.account_id, [retry])
