"""At least once, proven: every event reaches a webhook while its workers are killed.

One run: a fresh database, a receiver on 127.0.0.1 that checks each delivery's Standard Webhooks
signature with the ``standardwebhooks`` package and records its ``webhook-id``, one
``contacthub serve --no-worker`` and ``--workers`` ``contacthub worker`` processes. Client threads
make ``--changes`` changes through the API (creates, updates, tags), each with an
``Idempotency-Key`` and retried on connection errors. Meanwhile a worker is SIGKILLed every
``--kill-every`` seconds and started again, and the API process is SIGKILLed once, half way, and
started again. Then the run waits until no delivery is pending and prints: changes acknowledged,
events in the feed, distinct events delivered, missing (must be 0), duplicates, kills.

    python -m bench.at_least_once [--postgres] [--changes N]

Everything listens on and talks to 127.0.0.1; every loop is bounded in count and in time; the
processes are killed whatever happens (an error, Ctrl-C, SIGTERM).
"""

import argparse
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, func, select
from standardwebhooks import Webhook, WebhookVerificationError

from bench.databases import describe, fresh, prepare
from bench.server import ROOT, contacthub_env
from contacthub.models import WebhookDelivery

# A request that failed with a connection error is sent again for this long (the API restarts).
RETRY_FOR = 60.0
# Seconds between two looks while draining.
POLL = 0.5


@dataclass
class Figures:
    """What a run did and saw."""

    database: str = ""
    changes_sent: int = 0
    acknowledged: int = 0  # answered 2xx, first time or replayed
    unknown: int = 0  # cut off by the API's kill, and its key still claimed: applied or not
    refused: Counter[int] = field(default_factory=Counter)  # other answers, by status
    retried: int = 0  # requests sent again after a connection error
    events: int = 0  # in the feed, walked through GET /v1/events
    delivered: int = 0  # distinct events received, signature verified
    deliveries: int = 0  # every verified request the receiver got
    duplicates: int = 0  # deliveries - delivered
    missing: int = 0  # events in the feed never received
    strangers: int = 0  # received ids that are not in the feed
    bad_signatures: int = 0
    cut_off: int = 0  # requests whose body a kill cut short (not answered, not counted)
    worker_kills: int = 0
    api_kills: int = 0
    pending_left: int = 0  # deliveries still pending when the drain stopped
    statuses: Counter[str] = field(default_factory=Counter)  # every attempt's, at the end
    change_seconds: float = 0.0
    drain_seconds: float = 0.0

    def lines(self) -> list[str]:
        return [f"{name}: {value}" for name, value in asdict(self).items()]


class Receiver:
    """An HTTP server on 127.0.0.1: verifies each delivery, records its id, answers 204."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.bad_signatures = 0
        self.cut_off = 0
        self.verifier: Webhook | None = None
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the worker reuses its connections

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the worker was killed while sending: no one to answer
                    receiver.cut_off += 1
                    self.close_connection = True
                    return
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = 204 if receiver.accept(body, headers) else 400
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # a worker opens up to 200 connections at once

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a killed worker's connection reset: nothing to answer, nothing to count

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def accept(self, body: bytes, headers: dict[str, str]) -> bool:
        """Record a delivery whose signature verifies (before answering 2xx: an answered
        delivery is a recorded one)."""
        try:
            if self.verifier is None:
                raise WebhookVerificationError("no secret yet")
            self.verifier.verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.bad_signatures += 1
            return False
        with self.lock:
            self.ids[headers["webhook-id"]] += 1
        return True

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Processes:
    """The API process and the worker processes, each in its own process group."""

    def __init__(self, database_url: str, env: dict[str, str], workers: int) -> None:
        self.env = {**os.environ, **contacthub_env(database_url), **env}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * workers
        self.next_victim = 0

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "contacthub", *args],
            cwd=ROOT,
            env=self.env,
            stderr=subprocess.DEVNULL if args[0] == "worker" else None,  # its start line
            start_new_session=True,
        )

    def start_api(self) -> None:
        self.api = self._spawn(
            "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(self.port)
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(f"the API exited with status {self.api.returncode}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the API did not become ready within 60 s")

    def start_workers(self) -> None:
        for index, process in enumerate(self.workers):
            if process is None or process.poll() is not None:
                self.workers[index] = self._spawn("worker")

    def kill_api(self) -> None:
        _kill(self.api)
        self.start_api()

    def kill_worker(self) -> None:
        """SIGKILL the next worker in turn and start another in its place."""
        index = self.next_victim % len(self.workers)
        self.next_victim += 1
        _kill(self.workers[index])
        self.workers[index] = self._spawn("worker")

    def close(self) -> None:
        for process in [self.api, *self.workers]:
            _kill(process)


def _kill(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Clients:
    """Threads that make the changes: each one request with its own Idempotency-Key."""

    def __init__(self, url: str, key: str, changes: int, deadline: float) -> None:
        self.url, self.key, self.changes, self.deadline = url, key, changes, deadline
        self.numbers = itertools.count()
        self.lock = threading.Lock()
        self.figures = Figures()

    def _next(self) -> int | None:
        with self.lock:
            number = next(self.numbers)
        return number if number < self.changes and time.monotonic() < self.deadline else None

    def run(self, thread: int) -> None:
        mine: list[tuple[str, str]] = []  # (id, phone number) of this thread's contacts
        with httpx.Client(base_url=self.url, headers={"X-API-Key": self.key}, timeout=30) as http:
            while (number := self._next()) is not None:
                phone = f"+1415{2_000_000 + number:07d}"
                if not mine or number % 2 == 0:
                    request = ("POST", "/v1/contacts", {"phoneNumber": phone, "firstName": "A"})
                else:
                    target, number_of = mine[number % len(mine)]
                    if number % 4 == 1:
                        request = ("PUT", f"/v1/contacts/{target}", {"firstName": f"n{number}"})
                    else:
                        request = (
                            "POST",
                            "/v1/tags",
                            {"tag": f"t{number}", "phoneNumber": number_of},
                        )
                answer = self._send(http, *request)
                if answer is not None and request[1] == "/v1/contacts":
                    mine.append((answer["contactId"], phone))

    def _send(self, http: httpx.Client, method: str, path: str, body: Any) -> Any:
        """Send until answered (connection errors are retried with the same key); the body of
        a 2xx answer, else None."""
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        give_up = time.monotonic() + RETRY_FOR
        with self.lock:
            self.figures.changes_sent += 1
        for attempt in itertools.count():
            try:
                response = http.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                if time.monotonic() > give_up:
                    raise
                with self.lock:
                    self.figures.retried += attempt == 0
                time.sleep(0.1)
                continue
            with self.lock:
                if response.is_success:
                    self.figures.acknowledged += 1
                    return response.json()
                if response.status_code == 409 and "in_progress" in response.text:
                    self.figures.unknown += 1  # the first try was cut off by the kill
                else:
                    self.figures.refused[response.status_code] += 1
            return None
        return None  # pragma: no cover (the loop ends by return or raise)


def walk_feed(http: httpx.Client, seen: set[str], cursor: str | None) -> str | None:
    """Add the feed's new event ids to ``seen``; the cursor to resume from."""
    for _ in range(100_000):  # 1,000 a page: bounded well past any run
        params: dict[str, Any] = {"limit": 1000, **({"after": cursor} if cursor else {})}
        page = http.get("/v1/events", params=params)
        page.raise_for_status()
        body = page.json()
        seen.update(event["id"] for event in body["data"])
        cursor = body["nextCursor"]
        if body["done"]:
            break
    return cursor


def statuses(database_url: str, account_id: str) -> Counter[str]:
    """The account's delivery attempts by status (``pending``: waiting to be sent or settled)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(WebhookDelivery.status, func.count())
                .where(WebhookDelivery.account_id == account_id)
                .group_by(WebhookDelivery.status)
            ).all()
            return Counter({status: int(count) for status, count in rows})
    finally:
        engine.dispose()


def run(
    database_url: str,
    account_id: str,
    key: str,
    *,
    changes: int,
    threads: int = 4,
    workers: int = 1,
    kill_every: float = 2.0,
    kill_api: bool = True,
    min_kills: int = 0,
    lease_seconds: int = 60,
    max_seconds: float = 1800,
    drain_seconds: float = 300,
) -> Figures:
    """One run against a migrated database and a key of ``account_id``; its figures."""
    env = {
        "CONTACTHUB_WEBHOOK_ALLOW_PRIVATE": "1",
        "CONTACTHUB_WEBHOOK_RETRY_SCHEDULE": "1,2,5,10,30,60",
        "CONTACTHUB_WEBHOOK_LEASE_SECONDS": str(lease_seconds),
    }
    processes = Processes(database_url, env, workers)
    with Receiver() as receiver:
        try:
            processes.start_api()
            with httpx.Client(base_url=processes.url, headers={"X-API-Key": key}) as http:
                hook = http.post("/v1/webhooks", json={"url": receiver.url, "events": ["*"]})
                hook.raise_for_status()
                receiver.verifier = Webhook(hook.json()["data"]["secret"])
            processes.start_workers()
            figures = _changes(
                processes, key, changes, threads, kill_every, kill_api, min_kills, max_seconds
            )
            _drain(processes, receiver, figures, database_url, account_id, key, drain_seconds)
        finally:
            processes.close()
    figures.database = describe(database_url)
    return figures


def _changes(
    processes: Processes,
    key: str,
    changes: int,
    threads: int,
    kill_every: float,
    kill_api: bool,
    min_kills: int,
    max_seconds: float,
) -> Figures:
    started = time.monotonic()
    clients = Clients(processes.url, key, changes, started + max_seconds)
    pool = [threading.Thread(target=clients.run, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    figures = clients.figures
    api_killed = not kill_api
    next_kill = time.monotonic() + kill_every
    # Kills go on until the clients are done, and at least ``min_kills`` workers were killed.
    while any(thread.is_alive() for thread in pool) or figures.worker_kills < min_kills:
        if time.monotonic() > started + max_seconds + RETRY_FOR + 30:
            raise RuntimeError("the clients did not finish in time")
        time.sleep(0.05)
        if time.monotonic() >= next_kill:
            processes.kill_worker()
            figures.worker_kills += 1
            next_kill += kill_every
        half_way = time.monotonic() > started + max_seconds / 2
        if not api_killed and (figures.changes_sent >= changes // 2 or half_way):
            processes.kill_api()
            figures.api_kills += 1
            api_killed = True
    for thread in pool:
        thread.join()
    figures.change_seconds = round(time.monotonic() - started, 1)
    return figures


def _drain(
    processes: Processes,
    receiver: Receiver,
    figures: Figures,
    database_url: str,
    account_id: str,
    key: str,
    drain_seconds: float,
) -> None:
    """Wait (bounded) until every event is delivered and no delivery is pending; count."""
    started = time.monotonic()
    feed: set[str] = set()
    cursor: str | None = None
    with httpx.Client(base_url=processes.url, headers={"X-API-Key": key}, timeout=60) as http:
        while True:
            cursor = walk_feed(http, feed, cursor)
            left = statuses(database_url, account_id)["pending"]
            with receiver.lock:
                missing = len(feed - receiver.ids.keys())
            if (not missing and not left) or time.monotonic() > started + drain_seconds:
                break
            processes.start_workers()  # in case the last one died
            time.sleep(POLL)
    with receiver.lock:
        ids = Counter(receiver.ids)
        figures.bad_signatures = receiver.bad_signatures
        figures.cut_off = receiver.cut_off
    figures.events = len(feed)
    figures.delivered = len(feed & ids.keys())
    figures.deliveries = sum(ids.values())
    figures.duplicates = figures.deliveries - len(ids)
    figures.missing = len(feed - ids.keys())
    figures.strangers = len(ids.keys() - feed)
    figures.pending_left = left
    figures.statuses = statuses(database_url, account_id)
    figures.drain_seconds = round(time.monotonic() - started, 1)


@contextmanager
def _terminated_cleanly() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C does: through the ``finally`` that kills the processes."""

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.at_least_once", description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=1, help="contacthub worker processes")
    parser.add_argument("--kill-every", type=float, default=2.0, help="seconds between kills")
    parser.add_argument("--max-seconds", type=float, default=1800, help="for the changes")
    parser.add_argument("--drain-seconds", type=float, default=300)
    args = parser.parse_args(argv)
    with (
        _terminated_cleanly(),
        tempfile.TemporaryDirectory() as directory,
        fresh(args.postgres, Path(directory), "at_least_once") as database_url,
    ):
        account = prepare(database_url)
        figures = run(
            database_url,
            account.id,
            account.key,
            changes=args.changes,
            threads=args.threads,
            workers=args.workers,
            kill_every=args.kill_every,
            max_seconds=args.max_seconds,
            drain_seconds=args.drain_seconds,
        )
    print("\n".join(figures.lines()))
    return 1 if figures.missing or figures.bad_signatures else 0


if __name__ == "__main__":
    sys.exit(main())
