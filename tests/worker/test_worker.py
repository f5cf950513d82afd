"""The worker against real receivers on loopback: what it reads, whom it connects to, how it
shares its sends between endpoints, and that its sweeps run whatever delivery does (review 1, 2,
3, 4, 10)."""

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from contacthub.core import db
from contacthub.core.clock import utcnow
from contacthub.models import Event, Job
from contacthub.webhooks import delivery
from contacthub.webhooks import service as webhooks
from contacthub.worker.service import Worker
from tests.factories import Account
from tests.webhooks.conftest import add_event, create_hook, step, worker_settings
from tests.webhooks.test_delivery import deliveries

BIG = 64 * 1024 * 1024


class Server:
    """A keep-alive HTTP/1.1 receiver on 127.0.0.1; ``answer(handler)`` writes each answer."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.requests: list[tuple[str, int]] = []  # (Host header, the client's port)
        self.finished = threading.Event()
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                state.requests.append((self.headers["host"], self.client_address[1]))
                try:
                    answer(self)
                finally:
                    state.finished.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def no_content(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(204)
    handler.send_header("content-length", "0")
    handler.end_headers()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(answer: Callable[[BaseHTTPRequestHandler], None] = no_content) -> Server:
        servers.append(Server(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_huge_answer_is_not_read(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, serve: Any
) -> None:
    sent = [0]

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("content-length", str(BIG))
        handler.end_headers()
        chunk = b"x" * 65536
        try:
            while sent[0] < BIG:
                handler.wfile.write(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass  # the worker went away: what it wanted it had

    server = serve(huge)
    hook = create_hook(hooks, f"http://127.0.0.1:{server.port}/hook")
    add_event(engine, account.id)
    step(engine, database_url)
    assert server.finished.wait(10)
    assert [(r["status"], r["responseStatus"]) for r in deliveries(hooks, hook["id"])] == [
        ("succeeded", 200)
    ]
    assert sent[0] < BIG // 4  # the rest of the body was never taken off the wire


def test_a_worker_on_a_host_with_a_long_name_delivers(
    hooks: TestClient,
    account: Account,
    engine: Engine,
    database_url: str,
    serve: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        socket, "gethostname", lambda: "ip-172-31-100-200.ap-southeast-2.compute.internal"
    )
    server = serve()
    hook = create_hook(hooks, f"http://127.0.0.1:{server.port}/hook")
    add_event(engine, account.id)

    async def run() -> int:
        worker = Worker(engine, worker_settings(database_url))  # its own owner name
        try:
            return await worker.step()
        finally:
            await worker.aclose()

    asyncio.run(run())
    assert [r["status"] for r in deliveries(hooks, hook["id"])] == ["succeeded"]


def test_the_sweeps_run_when_delivery_fails(
    account: Account, engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = add_event(engine, account.id, created_at=utcnow() - timedelta(days=40))
    with db.write(engine) as conn:  # due now, whatever earlier tests' clocks left
        conn.execute(update(Job).where(Job.name == "events.sweep").values(due_at=utcnow()))

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(webhooks, "dispatch", broken)  # the worker calls it through the module
    step(engine, database_url)
    with db.read(engine) as conn:
        left = conn.scalars(select(Event.id).where(Event.account_id == account.id)).all()
    assert old not in left


def test_a_name_resolving_to_a_cgnat_address_is_refused(
    hooks: TestClient,
    account: Account,
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "meta.example":
            return real("100.100.100.200", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    hook = create_hook(hooks, "http://meta.example/latest/meta-data")
    add_event(engine, account.id)
    step(engine, database_url, allow_private=False)
    row = deliveries(hooks, hook["id"])[-1]
    assert (row["status"], row["error"]) == ("failed", "address not allowed")


def test_two_names_on_one_address_do_not_share_a_connection(
    hooks: TestClient,
    account: Account,
    engine: Engine,
    database_url: str,
    serve: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both names resolve to the receiver; the guard is on (but lets loopback through here).
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *rest, **kw: real(
            "127.0.0.1" if str(host).endswith(".example") else host, *rest, **kw
        ),
    )
    monkeypatch.setattr(delivery, "is_private", lambda address: False)
    server = serve()
    create_hook(hooks, f"http://a.example:{server.port}/hook", ["contact.*"])
    create_hook(hooks, f"http://b.example:{server.port}/hook", ["message.*"])

    async def run() -> None:
        worker = Worker(engine, worker_settings(database_url, allow_private=False), owner="w-sni")
        try:
            add_event(engine, account.id, "contact.created")
            await worker.step()
            add_event(engine, account.id, "message.created")
            await worker.step()
        finally:
            await worker.aclose()

    asyncio.run(run())
    hosts = [host for host, _ in server.requests]
    assert hosts == [f"a.example:{server.port}", f"b.example:{server.port}"]
    assert server.requests[0][1] != server.requests[1][1]  # a connection each


def test_one_endpoint_never_takes_every_claim(
    hooks: TestClient, account: Account, engine: Engine
) -> None:
    busy = create_hook(hooks, "https://busy.example.com/in", ["contact.*"])
    quiet = create_hook(hooks, "https://quiet.example.com/in", ["message.*"])
    now = utcnow()
    for _ in range(30):
        add_event(engine, account.id, "contact.created")
    with db.write(engine) as conn:  # the busy endpoint's attempts are due first
        webhooks.dispatch(conn, now - timedelta(seconds=10))
    add_event(engine, account.id, "message.created")
    with db.write(engine) as conn:
        webhooks.dispatch(conn, now)
    with db.write(engine) as conn:
        first = webhooks.claim(conn, now, "w-fair", 15)
    with db.write(engine) as conn:
        second = webhooks.claim(conn, now, "w-fair-2", 15)
    ours = [job.webhook_id for job in first + second if job.account_id == account.id]
    assert quiet["id"] in ours
    assert ours.count(busy["id"]) == webhooks.PER_ENDPOINT  # in flight, across both claims


def test_a_slow_endpoint_does_not_hold_up_another(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, serve: Any
) -> None:
    release = threading.Event()

    def slow(handler: BaseHTTPRequestHandler) -> None:
        release.wait(10)
        no_content(handler)

    slow_server, fast_server = serve(slow), serve()
    slow_hook = create_hook(hooks, f"http://127.0.0.1:{slow_server.port}/hook", ["contact.*"])
    fast_hook = create_hook(hooks, f"http://127.0.0.1:{fast_server.port}/hook", ["message.*"])
    add_event(engine, account.id, "contact.created")

    async def run() -> list[str]:
        worker = Worker(engine, worker_settings(database_url), owner="w-slow")
        try:
            await worker.step(wait=False)  # the slow send starts, and the step returns
            add_event(engine, account.id, "message.created")
            deadline = time.monotonic() + 5
            while [r["status"] for r in deliveries(hooks, fast_hook["id"])] != ["succeeded"]:
                assert time.monotonic() < deadline, "the fast endpoint waited for the slow one"
                await worker.step(wait=False)
                await asyncio.sleep(0.02)
            slow_rows = [str(r["status"]) for r in deliveries(hooks, slow_hook["id"])]
            release.set()
            return slow_rows
        finally:
            release.set()
            await worker.aclose()

    assert asyncio.run(run()) == ["pending"]  # still under way when the fast one was done
    assert [r["status"] for r in deliveries(hooks, slow_hook["id"])] == ["succeeded"]
