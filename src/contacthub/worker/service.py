"""The worker: one step dispatches new events, sends due deliveries, runs due periodic jobs.

Every piece of work is claimed before it is done and recorded after, each in its own short
transaction (never across an ``await``): dispatch locks the endpoints it advances (``SKIP
LOCKED``), a delivery is leased for a minute, a periodic job too. A worker killed at any moment
leaves at most a lease to run out; the work is then claimed again by any worker, so it is done at
least once. Tests drive ``step(now)`` with their own clock.

Sends run as tasks of their own: a step starts those it claims and records those that have
finished, so a slow endpoint holds only its own sends (at most ``PER_ENDPOINT`` of them), never
the step. ``step(now)`` waits for its sends by default (what tests want); the run loop does not.
At most ``CONNECTIONS`` sends are in flight, the size of the connection pool: no send waits for
a connection, so its 10 s are the receiver's.
"""

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx2 as httpx
from sqlalchemy import Connection, Engine

from contacthub.config import Settings
from contacthub.core.clock import utcnow
from contacthub.core.db import write
from contacthub.events import service as events
from contacthub.webhooks import delivery
from contacthub.webhooks import service as webhooks
from contacthub.worker import repository

log = logging.getLogger(__name__)

# Deliveries in flight at once in one worker (and its connection pool's size).
CONNECTIONS = 100
# How long an idle worker waits before looking again: briefly while work came in the last
# BUSY_FOR seconds (a busy hub's next change is likely soon: commit → first attempt stays under
# ~50 ms plus a step), longer once it has been quiet (fewer empty transactions).
BUSY_IDLE_SECONDS = 0.05
IDLE_SECONDS = 0.2
BUSY_FOR = 10.0
# A periodic job's lease: long enough for a sweep, short enough that a dead worker's is retaken.
JOB_LEASE = timedelta(minutes=10)


# name → (how often, what it does). Idempotency records are not here: they are the HTTP layer's,
# swept by each server process (idempotency.middleware.sweep_every), with or without a worker.
PERIODIC: dict[str, tuple[timedelta, Callable[[Connection, datetime], object]]] = {
    "events.sweep": (timedelta(hours=1), events.sweep),
}


class Worker:
    """One worker: many may run at once, on one database, each in its own process or thread."""

    def __init__(self, engine: Engine, settings: Settings, *, owner: str | None = None) -> None:
        self.engine = engine
        self.waits = settings.retry_waits
        self.allow_private = settings.webhook_allow_private
        self.lease = timedelta(seconds=settings.webhook_lease_seconds)
        # Fits lease_owner (64 characters) whatever the host's name; the log ties it to the host.
        self.owner = owner or uuid.uuid4().hex
        log.info("worker %s on %s, pid %d", self.owner, socket.gethostname(), os.getpid())
        self._http: httpx.AsyncClient | None = None
        # The sends under way: task → (its attempt, when it was sent).
        self._sending: dict[asyncio.Task[delivery.Outcome | None], tuple[webhooks.Job, datetime]]
        self._sending = {}

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = delivery.client(
                allow_private=self.allow_private, max_connections=CONNECTIONS
            )
        return self._http

    async def step(self, now: datetime | None = None, *, wait: bool = True) -> int:
        """Do what is due at ``now``; how much was done (0: nothing was due). ``wait``: until
        the sends it starts have been recorded."""
        now = now or utcnow()
        try:
            delivered = await self._deliver(now, wait)
        except Exception:
            # A delivery that cannot be done (a database error…) must not stop the sweeps.
            log.exception("webhook delivery failed")
            delivered = 0
        return delivered + self._periodic(now)

    async def _deliver(self, now: datetime, wait: bool) -> int:
        done = self._record()
        with write(self.engine) as conn:
            done += webhooks.dispatch(conn, now)
        free = CONNECTIONS - len(self._sending)
        if free > 0:
            with write(self.engine) as conn:
                jobs = webhooks.claim(conn, now, self.owner, free, lease=self.lease)
            for job in jobs:
                self._sending[asyncio.create_task(self._send(job, now))] = (job, now)
            done += len(jobs)
        if wait:
            await self.drain()
        return done

    async def drain(self) -> None:
        """Wait for the sends under way, and record them."""
        if self._sending:
            await asyncio.wait(self._sending)
        self._record()

    def _record(self) -> int:
        """Record the sends that have finished; how many."""
        finished = [task for task in self._sending if task.done()]
        if not finished:
            return 0
        with write(self.engine) as conn:
            for task in finished:
                job, sent_at = self._sending.pop(task)
                if task.exception() is not None:  # not the receiver's doing: the lease runs out
                    log.error("sending %s failed", job.id, exc_info=task.exception())
                    continue
                webhooks.settle(
                    conn, job, task.result(), now=sent_at, owner=self.owner, waits=self.waits
                )
        return len(finished)

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
        last_work = float("-inf")
        try:
            while not stop.is_set():
                try:
                    done = await self.step(wait=False)
                except Exception:
                    log.exception("worker step failed")
                    done = 0
                clock = time.monotonic()
                if done:
                    last_work = clock
                else:
                    busy = clock - last_work < BUSY_FOR
                    await asyncio.sleep(BUSY_IDLE_SECONDS if busy else IDLE_SECONDS)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Record the sends under way, and close the HTTP connections."""
        try:
            await self.drain()
        except Exception:
            log.exception("recording the last sends failed; their leases run out")
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
