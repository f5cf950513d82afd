"""The events' targets (issue 11): commit → first delivery attempt, deliveries per second from one
worker, and a walk of the feed.

``python -m bench events [--postgres] [--walk 1000000] [--deliveries 20000] [--seconds 15]``, on a
fresh database (a temporary SQLite file, or a PostgreSQL database created and dropped):

1. **Latency**: ``contacthub serve`` (its worker inside, as ``make run`` has it) with a webhook to
   a loopback receiver; contacts are created through the API, 20 a second for ``--seconds``. The
   latency of each is from the moment its request was *sent* (before its commit: an upper bound)
   to the moment the receiver read the delivery's request.
2. **Throughput**: the server stopped, ``--deliveries`` events are seeded set-based behind a new
   webhook, and one worker (``Worker.step`` in a loop, in this process) delivers them all to the
   receiver; deliveries per second = the count over the time to the last one recorded.
3. **Feed walk**: ``--walk`` events seeded set-based in a second account, walked through the
   server's ``GET /v1/events?limit=1000`` to the end, every event read once.

The receiver is a raw asyncio HTTP/1.1 server in its own process on 127.0.0.1: it answers every
request ``204`` and notes when each ``webhook-id`` arrived.
"""

import asyncio
import multiprocessing
import os
import shlex
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
from sqlalchemy import Engine, text

from bench import databases, report, server
from contacthub.config import Settings
from contacthub.core import db
from contacthub.worker.service import Worker

RATE = 20  # contacts a second in the latency run
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


# The receiver ----------------------------------------------------------------------------------


class _Receiver(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, just enough for httpx's requests: headers, a Content-Length body."""

    def __init__(self, seen: list[tuple[str, float]]) -> None:
        self.seen = seen
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length, msg_id = 0, ""
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                name = name.lower()
                if name == "content-length":
                    length = int(value)
                elif name == "webhook-id":
                    msg_id = value.strip()
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.seen.append((msg_id, time.time()))
            self.transport.write(_NO_CONTENT)


def _receive(port: int, ready: Any, stop: Any, out: Any) -> None:
    async def main() -> None:
        seen: list[tuple[str, float]] = []
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(lambda: _Receiver(seen), "127.0.0.1", port, backlog=1024)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        srv.close()
        out.put(seen)

    asyncio.run(main())


class Receiver:
    """The loopback receiver's process: ``drain()`` stops nothing, it returns what arrived so far."""

    def __init__(self) -> None:
        self.port = server._free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        context = multiprocessing.get_context("fork")  # no engine or thread is open when it starts
        self._ready, self._stop, self._out = context.Event(), context.Event(), context.Queue()
        self._process = context.Process(
            target=_receive, args=(self.port, self._ready, self._stop, self._out), daemon=True
        )

    def __enter__(self) -> "Receiver":
        self._process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the receiver did not start")
        return self

    def __exit__(self, *_: object) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()

    def stop(self) -> list[tuple[str, float]]:
        """Stop it; every (webhook-id, arrival time) it saw."""
        self._stop.set()
        seen: list[tuple[str, float]] = self._out.get(timeout=60)
        self._process.join()
        return seen


# Seeding ---------------------------------------------------------------------------------------

_DATA: dict[str, Any] = {
    "phoneNumber": "+14155550100",
    "firstName": "Bench",
    "lastName": "Walker",
    "email": None,
    "tags": [],
    "listIds": [],
    "customFields": {"plan": "gold"},
    "createdAt": "2026-12-01T00:00:00.000Z",
    "updatedAt": "2026-12-01T00:00:00.000Z",
}


def seed_events(engine: Engine, account_id: str, count: int) -> None:
    """``count`` contact.created events after the account's last, in one INSERT … SELECT."""
    doc = orjson.dumps(_DATA).decode()
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.write(engine) as conn:
        last = conn.execute(
            text("SELECT position FROM event_counters WHERE account_id = :a"), {"a": account_id}
        ).scalar()
        first = (last or 0) + 1
        params = {"a": account_id, "first": first, "count": count, "doc": doc, "now": now}
        params["prefix"] = f"evt_s{account_id}_"
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
                    " WHERE i + 1 < :count)"
                    " INSERT INTO events (account_id, position, id, type, created_at, data,"
                    " contact_id) SELECT :a, :first + i, printf('evt_s%s_%d', :a, :first + i),"
                    " 'contact.created', :now,"
                    " json_set(:doc, '$.id', printf('con_s%d', :first + i)),"
                    " printf('con_s%d', :first + i) FROM n"
                ),
                params,
            )
        else:
            conn.execute(
                text(
                    "INSERT INTO events (account_id, position, id, type, created_at, data,"
                    " contact_id) SELECT :a, i, CAST(:prefix AS text) || i,"
                    " 'contact.created',"
                    " :now, CAST(:doc AS jsonb) || jsonb_build_object('id', 'con_s' || i),"
                    " 'con_s' || i FROM generate_series(:first, :first + :count - 1) AS i"
                ),
                params,
            )
        conn.execute(
            text(
                "INSERT INTO event_counters (account_id, position) VALUES (:a, :p)"
                " ON CONFLICT (account_id) DO UPDATE SET position = :p"
            ),
            {"a": account_id, "p": first + count - 1},
        )


# The scenarios ---------------------------------------------------------------------------------


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency(url: str, account: databases.Account, receiver: Receiver, seconds: float) -> str:
    """Contacts created at RATE a second; commit → first delivery attempt, p50/p99/max."""
    env = {"CONTACTHUB_WEBHOOK_ALLOW_PRIVATE": "1"}
    os.environ.update(env)
    headers = {"authorization": f"Bearer {account.key}"}
    sent: dict[str, float] = {}
    with server.contacthub(url) as api, httpx.Client(base_url=api.url, headers=headers) as http:
        made = http.post("/v1/webhooks", json={"url": receiver.url, "events": ["contact.*"]})
        made.raise_for_status()
        webhook_id = made.json()["data"]["id"]
        n, start = 0, time.monotonic()
        while time.monotonic() - start < seconds:
            n += 1
            time.sleep(max(0.0, start + n / RATE - time.monotonic()))
            at = time.time()
            body = {"phoneNumber": f"+1628{3_000_000 + n}", "firstName": "Lat"}
            created = http.post("/v1/contacts", json=body)
            created.raise_for_status()
            sent[created.json()["data"]["contactId"]] = at
        time.sleep(3)  # the last deliveries
        http.delete(f"/v1/webhooks/{webhook_id}").raise_for_status()
    arrivals = receiver.stop()
    engine = db.make_engine(url)
    with db.read(engine) as conn:
        about: dict[str, str] = dict(
            conn.execute(
                text("SELECT id, contact_id FROM events WHERE type = 'contact.created'")
            ).all()
        )
    engine.dispose()
    first: dict[str, float] = {}
    for msg_id, at in arrivals:
        contact = about.get(msg_id)
        if contact in sent and contact not in first:
            first[contact] = at
    waits = [first[c] - sent[c] for c in first]
    if not waits:
        raise RuntimeError(f"nothing delivered ({len(arrivals)} requests received)")
    missing = len(sent) - len(first)
    return (
        f"commit → first delivery attempt: {len(waits)} contacts at {RATE}/s through the API,"
        f" p50 {_p(waits, 0.5) * 1000:.0f} ms, p99 {_p(waits, 0.99) * 1000:.0f} ms,"
        f" max {max(waits) * 1000:.0f} ms, mean {statistics.mean(waits) * 1000:.0f} ms;"
        f" {missing} not delivered"
    )


def throughput(url: str, account: databases.Account, receiver: Receiver, count: int) -> str:
    """One worker delivering ``count`` seeded events to the receiver."""
    from contacthub.webhooks import service as webhooks
    from contacthub.webhooks.schemas import WebhookCreate

    engine = db.make_engine(url)
    with db.write(engine) as conn:
        body = WebhookCreate.model_validate({"url": receiver.url, "events": ["contact.*"]})
        webhooks.create_webhook(conn, account.id, body, allow_private=True)
    seed_events(engine, account.id, count)
    worker = Worker(engine, Settings(webhook_allow_private=True))

    async def run() -> float:
        start = time.time()
        idle = 0
        while idle < 3:
            idle = 0 if await worker.step() else idle + 1
        await worker.aclose()
        return start

    start = asyncio.run(run())
    arrivals = receiver.stop()
    engine.dispose()
    ids = {msg_id for msg_id, _ in arrivals}
    seconds = max(at for _, at in arrivals) - start
    return (
        f"deliveries from one worker to a loopback receiver: {len(ids):,} of {count:,} events"
        f" in {seconds:.1f} s, {len(ids) / seconds:,.0f} deliveries/s"
        f" ({len(arrivals) - len(ids)} duplicates)"
    )


def walk(url: str, count: int) -> str:
    """Seed ``count`` events in a new account and walk its feed through the API."""
    account_id = databases._contacthub(url, "accounts", "create", "walk")
    key = databases._contacthub(url, "keys", "create", "walk")
    engine = db.make_engine(url)
    started = time.monotonic()
    seed_events(engine, account_id, count)
    seeded = time.monotonic() - started
    engine.dispose()
    with (
        server.contacthub(url) as api,
        httpx.Client(
            base_url=api.url, headers={"authorization": f"Bearer {key}"}, timeout=60
        ) as http,
    ):
        seen, after, pages = 0, None, 0
        start = time.monotonic()
        while True:
            page = http.get("/v1/events", params={"limit": 1000, "after": after}).json()
            seen += len(page["data"])
            pages += 1
            after = page["nextCursor"]
            if page["done"]:
                break
        seconds = time.monotonic() - start
    return (
        f"feed walk: {seen:,} of {count:,} events (seeded in {seeded:.0f} s) in {pages:,} pages"
        f" of 1,000 through GET /v1/events, {seconds:.1f} s, {seen / seconds:,.0f} events/s"
    )


def run(postgres: bool, walk_events: int, deliveries: int, seconds: float) -> None:
    """All three, printed as they finish, then appended as a section to bench/RESULTS.md."""
    load = os.getloadavg()[0]
    rows: list[str] = []
    with (
        tempfile.TemporaryDirectory() as directory,
        databases.fresh(postgres, Path(directory), "events") as url,
    ):
        account = databases.prepare(url)
        described = databases.describe(url)
        with Receiver() as receiver:
            rows.append(latency(url, account, receiver, seconds))
            print(rows[-1], flush=True)
        with Receiver() as receiver:
            rows.append(throughput(url, account, receiver, deliveries))
            print(rows[-1], flush=True)
        rows.append(walk(url, walk_events))
        print(rows[-1], flush=True)
    facts = {
        "Command": f"`{shlex.join(['python', '-m', 'bench', *sys.argv[1:]])}`",
        "Machine": report.machine(),
        "Load average (1 min)": f"{load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
        " (other work on the machine lowers every figure)",
        "Database": described,
        "Targets (issue 11)": "p99 ≤ 1 s; ≥ 1,000 deliveries/s; 1,000,000 events walked ≤ 60 s",
    }
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = [f"\n## Events on {described.split()[0]}, {when}\n"]
    section += [f"- **{name}**: {value}" for name, value in facts.items()]
    section += ["", *(f"- {row}" for row in rows), ""]
    with report.RESULTS.open("a") as results:
        results.write("\n".join(section))
    print(f"appended to {report.RESULTS}")
