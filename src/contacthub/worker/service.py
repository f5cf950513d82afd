"""The worker: one step dispatches new events, sends due deliveries, runs due periodic jobs.

Every piece of work is claimed before it is done and recorded after, each in its own short
transaction (never across an ``await``): dispatch locks the endpoints it advances (``SKIP
LOCKED``), a delivery is leased for a minute, a periodic job too. A worker killed at any moment
leaves at most a lease to run out; the work is then claimed again by any worker, so it is done at
least once. Tests drive ``step(now)`` with their own clock.
"""

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx2 as httpx
from sqlalchemy import Connection, Engine

from contacthub.config import Settings
from contacthub.core.clock import utcnow
from contacthub.core.db import write
from contacthub.events import service as events
from contacthub.idempotency import repository as idempotency_repository
from contacthub.webhooks import delivery
from contacthub.webhooks import service as webhooks
from contacthub.worker import repository

log = logging.getLogger(__name__)

# Deliveries sent at once by one worker.
BATCH = 200
# How long an idle worker waits before looking again.
IDLE_SECONDS = 0.2
# A periodic job's lease: long enough for a sweep, short enough that a dead worker's is retaken.
JOB_LEASE = timedelta(minutes=10)


def _sweep_idempotency(conn: Connection, now: datetime) -> None:
    idempotency_repository.sweep(conn, now - timedelta(hours=24))


# name → (how often, what it does)
PERIODIC: dict[str, tuple[timedelta, Callable[[Connection, datetime], object]]] = {
    "idempotency.sweep": (timedelta(hours=1), _sweep_idempotency),
    "events.sweep": (timedelta(hours=1), events.sweep),
}


class Worker:
    """One worker: many may run at once, on one database, each in its own process or thread."""

    def __init__(self, engine: Engine, settings: Settings, *, owner: str | None = None) -> None:
        self.engine = engine
        self.waits = settings.retry_waits
        self.allow_private = settings.webhook_allow_private
        self.lease = timedelta(seconds=settings.webhook_lease_seconds)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = delivery.client(allow_private=self.allow_private)
        return self._http

    async def step(self, now: datetime | None = None) -> int:
        """Do what is due at ``now``; how much was done (0: nothing was due)."""
        now = now or utcnow()
        with write(self.engine) as conn:
            dispatched = webhooks.dispatch(conn, now)
        with write(self.engine) as conn:
            jobs = webhooks.claim(conn, now, self.owner, BATCH, lease=self.lease)
        outcomes = await asyncio.gather(*(self._send(job, now) for job in jobs))
        if jobs:
            with write(self.engine) as conn:
                for job, outcome in zip(jobs, outcomes, strict=True):
                    webhooks.settle(conn, job, outcome, now=now, owner=self.owner, waits=self.waits)
        return dispatched + len(jobs) + self._periodic(now)

    async def _send(self, job: webhooks.Job, now: datetime) -> delivery.Outcome | None:
        if job.body is None:
            return None
        return await delivery.send(
            self.http, job.url, msg_id=job.event_id, keys=job.keys, body=job.body, now=now
        )

    def _periodic(self, now: datetime) -> int:
        with write(self.engine) as conn:
            repository.ensure(conn, list(PERIODIC), now)
            names = [
                name
                for name in repository.due(conn, now)
                if name in PERIODIC
                and repository.lease(conn, name, now, self.owner, now + JOB_LEASE)
            ]
        for name in names:
            every, job = PERIODIC[name]
            with write(self.engine) as conn:
                job(conn, now)
                repository.done(conn, name, self.owner, now + every)
        return len(names)

    async def run(self, stop: threading.Event) -> None:
        """Step until ``stop`` is set; errors are logged and the loop goes on."""
        try:
            while not stop.is_set():
                try:
                    done = await self.step()
                except Exception:
                    log.exception("worker step failed")
                    done = 0
                if not done:
                    await asyncio.sleep(IDLE_SECONDS)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def start_thread(engine: Engine, settings: Settings) -> Callable[[], None]:
    """Run a worker in a thread of its own (its own event loop); returns what stops it."""
    stop = threading.Event()
    worker = Worker(engine, settings)
    thread = threading.Thread(
        target=lambda: asyncio.run(worker.run(stop)), name="contacthub-worker", daemon=True
    )
    thread.start()

    def stop_worker() -> None:
        stop.set()
        thread.join(timeout=15)

    return stop_worker
