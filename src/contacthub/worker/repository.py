"""Queries on the periodic jobs (not tenant data: the workers' own bookkeeping)."""

from datetime import datetime

from sqlalchemy import Connection, select, update

from contacthub.core.db import insert_ignoring_duplicates
from contacthub.models import Job


def ensure(conn: Connection, names: list[str], due_at: datetime) -> None:
    """A row for each job, due at ``due_at`` if it is new."""
    insert_ignoring_duplicates(
        conn, Job, [{"name": name, "due_at": due_at, "lease_until": None} for name in names]
    )


def due(conn: Connection, now: datetime) -> list[str]:
    """The jobs due now whose lease is free."""
    return list(
        conn.scalars(
            select(Job.name).where(
                Job.due_at <= now, Job.lease_until.is_(None) | (Job.lease_until <= now)
            )
        )
    )


def lease(conn: Connection, name: str, now: datetime, owner: str, until: datetime) -> bool:
    """Take a due job's lease; False when another worker took it first."""
    taken = conn.execute(
        update(Job)
        .where(
            Job.name == name,
            Job.due_at <= now,
            Job.lease_until.is_(None) | (Job.lease_until <= now),
        )
        .values(lease_until=until, lease_owner=owner)
    )
    return bool(taken.rowcount)


def done(conn: Connection, name: str, owner: str, next_due: datetime) -> None:
    """Release a job's lease and set when it is next due."""
    conn.execute(
        update(Job)
        .where(Job.name == name, Job.lease_owner == owner)
        .values(due_at=next_due, lease_until=None, lease_owner=None)
    )
