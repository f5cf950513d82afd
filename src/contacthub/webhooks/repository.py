"""Queries on webhook endpoints and deliveries, filtered by account (except the workers' claims)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)

from contacthub.core.db import Record, insert_ignoring_duplicates
from contacthub.models import Event, Webhook, WebhookDelivery

PENDING = "pending"


def insert_webhook(conn: Connection, values: dict[str, Any]) -> None:
    """Store a new endpoint."""
    conn.execute(insert(Webhook).values(**values))


def get(conn: Connection, account_id: str, webhook_id: str) -> Record | None:
    """One endpoint."""
    return conn.execute(
        select(Webhook).where(Webhook.account_id == account_id, Webhook.id == webhook_id)
    ).first()


def page(conn: Connection, account_id: str, *, after: str | None, limit: int) -> Sequence[Record]:
    """Endpoints in creation order after the id ``after``; one more than ``limit`` if there are."""
    statement = select(Webhook).where(Webhook.account_id == account_id)
    if after is not None:
        statement = statement.where(Webhook.id > after)
    return conn.execute(statement.order_by(Webhook.id).limit(limit + 1)).all()


def update_webhook(
    conn: Connection, account_id: str, webhook_id: str, values: dict[str, Any]
) -> None:
    """Change an endpoint's fields."""
    conn.execute(
        update(Webhook)
        .where(Webhook.account_id == account_id, Webhook.id == webhook_id)
        .values(**values)
    )


def delete_webhook(conn: Connection, account_id: str, webhook_id: str) -> int:
    """Delete an endpoint and its deliveries; how many endpoints went."""
    return conn.execute(
        delete(Webhook).where(Webhook.account_id == account_id, Webhook.id == webhook_id)
    ).rowcount


def count(conn: Connection, account_id: str) -> int:
    """How many endpoints the account has."""
    return int(conn.scalar(select(func.count()).where(Webhook.account_id == account_id)) or 0)


def last_position(conn: Connection, account_id: str) -> int:
    """The position of the account's latest event (0 before the first)."""
    found = conn.scalar(select(func.max(Event.position)).where(Event.account_id == account_id))
    return int(found or 0)


def deliveries(
    conn: Connection, account_id: str, webhook_id: str, *, before: str | None, limit: int
) -> Sequence[Record]:
    """An endpoint's attempts, newest first, before the id ``before``; one more than ``limit``."""
    statement = select(WebhookDelivery).where(
        WebhookDelivery.account_id == account_id, WebhookDelivery.webhook_id == webhook_id
    )
    if before is not None:
        statement = statement.where(WebhookDelivery.id < before)
    return conn.execute(statement.order_by(WebhookDelivery.id.desc()).limit(limit + 1)).all()


def insert_deliveries(conn: Connection, account_id: str, rows: list[dict[str, Any]]) -> int:
    """Store an account's attempts; one that exists already (same endpoint, event and attempt)
    is skipped."""
    return insert_ignoring_duplicates(
        conn, WebhookDelivery, [{**row, "account_id": account_id} for row in rows]
    )


def not_succeeded(
    conn: Connection, account_id: str, webhook_id: str, since: datetime
) -> Sequence[Record]:
    """(event_id, last attempt) of the endpoint's events since ``since`` that neither succeeded
    nor wait for an attempt."""
    settled = func.sum(case((WebhookDelivery.status.in_(("succeeded", PENDING)), 1), else_=0))
    return conn.execute(
        select(WebhookDelivery.event_id, func.max(WebhookDelivery.attempt).label("attempt"))
        .join(
            Event,
            and_(
                Event.account_id == WebhookDelivery.account_id, Event.id == WebhookDelivery.event_id
            ),
        )
        .where(
            WebhookDelivery.account_id == account_id,
            WebhookDelivery.webhook_id == webhook_id,
            Event.account_id == account_id,
            Event.created_at >= since,
        )
        .group_by(WebhookDelivery.event_id)
        .having(settled == 0)
    ).all()


# The workers' side: these work across accounts, each row then handled within its own account.


def endpoints_behind(conn: Connection, limit: int) -> Sequence[Record]:
    """Enabled endpoints with events past their cursor, those dispatched to longest ago first
    (so none waits behind the others), locked (PostgreSQL: others skip them)."""
    newer = (
        select(Event.position)
        .where(Event.account_id == Webhook.account_id, Event.position > Webhook.position)
        .exists()
    )
    return conn.execute(
        select(Webhook.account_id, Webhook.id, Webhook.events, Webhook.position)
        .where(Webhook.enabled.is_(True), newer)
        .order_by(Webhook.dispatched_at.nulls_first(), Webhook.account_id, Webhook.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def events_after(
    conn: Connection,
    account_id: str,
    position: int,
    limit: int,
    wanted: ColumnElement[bool],
) -> Sequence[Record]:
    """(position, id, wanted) of the account's events after ``position``, in order; ``wanted``:
    whether the event is one the endpoint subscribes to."""
    return conn.execute(
        select(Event.position, Event.id, wanted.label("wanted"))
        .where(Event.account_id == account_id, Event.position > position)
        .order_by(Event.position)
        .limit(limit)
    ).all()


def claim_due(
    conn: Connection,
    now: datetime,
    owner: str,
    lease_until: datetime,
    limit: int,
    *,
    per_endpoint: int,
) -> list[tuple[str, str]]:
    """Lease pending attempts that are due and not leased (or whose lease ran out), at most
    ``per_endpoint`` in flight per endpoint (those leased already count), the earliest due first.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: concurrent workers take disjoint rows; SQLite's
    single writer (``BEGIN IMMEDIATE``) does the same. Endpoints that are disabled hold theirs.
    """
    free = WebhookDelivery.lease_until.is_(None) | (WebhookDelivery.lease_until <= now)
    endpoint = (WebhookDelivery.account_id, WebhookDelivery.webhook_id)
    ranked = (
        select(
            WebhookDelivery.account_id,
            WebhookDelivery.id,
            WebhookDelivery.webhook_id,
            WebhookDelivery.next_attempt_at,
            func.row_number()
            .over(
                partition_by=endpoint,
                order_by=(WebhookDelivery.next_attempt_at, WebhookDelivery.id),
            )
            .label("rank"),
        )
        .join(
            Webhook,
            and_(
                Webhook.account_id == WebhookDelivery.account_id,
                Webhook.id == WebhookDelivery.webhook_id,
            ),
        )
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            free,
            Webhook.enabled.is_(True),
        )
        .subquery()
    )
    flying = (
        select(*endpoint, func.count().label("flying"))
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.lease_until > now)
        .group_by(*endpoint)
        .subquery()
    )
    candidates = (
        select(ranked.c.account_id, ranked.c.id)
        .outerjoin(
            flying,
            and_(
                flying.c.account_id == ranked.c.account_id,
                flying.c.webhook_id == ranked.c.webhook_id,
            ),
        )
        .where(ranked.c.rank + func.coalesce(flying.c.flying, 0) <= per_endpoint)
        .order_by(ranked.c.next_attempt_at, ranked.c.id)
        .limit(limit)
    )
    due = conn.execute(
        select(WebhookDelivery.account_id, WebhookDelivery.id)
        .where(
            tuple_(WebhookDelivery.account_id, WebhookDelivery.id).in_(candidates),
            WebhookDelivery.status == PENDING,
            free,
        )
        .with_for_update(skip_locked=True)
    ).all()
    claimed = [(row.account_id, row.id) for row in due]
    for account_id, delivery_id in claimed:
        conn.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.account_id == account_id, WebhookDelivery.id == delivery_id)
            .values(lease_until=lease_until, lease_owner=owner)
        )
    return claimed


def claimed(conn: Connection, account_id: str, delivery_id: str) -> Record | None:
    """A leased attempt with its endpoint and its event (the event's columns None if gone)."""
    return conn.execute(
        select(
            WebhookDelivery.account_id,
            WebhookDelivery.id,
            WebhookDelivery.webhook_id,
            WebhookDelivery.event_id,
            WebhookDelivery.attempt,
            WebhookDelivery.retry,
            Webhook.url,
            Webhook.secret,
            Webhook.previous_secret,
            Webhook.previous_until,
            Event.type,
            Event.created_at,
            Event.data,
            Event.changed_fields,
            Event.previous,
            Event.actor_key_id,
        )
        .join(
            Webhook,
            and_(
                Webhook.account_id == WebhookDelivery.account_id,
                Webhook.id == WebhookDelivery.webhook_id,
            ),
        )
        .outerjoin(
            Event,
            and_(
                Event.account_id == WebhookDelivery.account_id, Event.id == WebhookDelivery.event_id
            ),
        )
        .where(WebhookDelivery.account_id == account_id, WebhookDelivery.id == delivery_id)
    ).first()


def record(
    conn: Connection, account_id: str, delivery_id: str, owner: str, values: dict[str, Any]
) -> bool:
    """Settle a leased attempt; False when the lease was lost (another worker has it now)."""
    return bool(
        conn.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.account_id == account_id,
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == PENDING,
                WebhookDelivery.lease_owner == owner,
            )
            .values(**values)
        ).rowcount
    )
