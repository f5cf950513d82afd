"""Webhook tests: an app that may reach loopback, a receiver on 127.0.0.1, and a worker on a clock."""

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from contacthub.app import create_app
from contacthub.config import Settings
from contacthub.core import db
from contacthub.core.clock import utcnow
from contacthub.core.ids import new_id
from contacthub.models import Event
from contacthub.worker.service import Worker
from tests.factories import Account

SCHEDULE = "5,300"  # three attempts: now, 5 s later, 300 s after that


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records each request and answers from ``answers``."""

    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            status, headers = state.answers.pop(0) if state.answers else (204, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def private_app(database_url: str) -> Iterator[FastAPI]:
    """The app with CONTACTHUB_WEBHOOK_ALLOW_PRIVATE=1 (webhooks may point at the receiver)."""
    app = create_app(
        Settings(database_url=database_url, rate_limit=0, webhook_allow_private=True, worker=False)
    )
    yield app
    app.state.engine.dispose()
    app.state.driver_connections.close()


@pytest.fixture
def hooks(private_app: FastAPI, account: Account) -> TestClient:
    """A client of the account, on the app that allows private webhook URLs."""
    return TestClient(
        private_app, headers={"X-API-Key": account.key}, raise_server_exceptions=False
    )


def worker_settings(database_url: str, *, allow_private: bool = True) -> Settings:
    return Settings(
        database_url=database_url,
        webhook_allow_private=allow_private,
        webhook_retry_schedule=SCHEDULE,
    )


def step(
    engine: Engine,
    database_url: str,
    now: datetime | None = None,
    *,
    owner: str = "test-worker",
    allow_private: bool = True,
) -> int:
    """One worker step at ``now`` (real time by default)."""

    async def run() -> int:
        worker = Worker(
            engine, worker_settings(database_url, allow_private=allow_private), owner=owner
        )
        try:
            return await worker.step(now or utcnow())
        finally:
            await worker.aclose()

    return asyncio.run(run())


def add_event(
    engine: Engine,
    account_id: str,
    event_type: str = "contact.created",
    data: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> str:
    """An event in the account's feed, as the outbox writes it; its id."""
    event_id = new_id("event")
    with db.write(engine) as conn:
        last = conn.scalar(select(func.max(Event.position)).where(Event.account_id == account_id))
        conn.execute(
            insert(Event).values(
                account_id=account_id,
                position=(last or 0) + 1,
                id=event_id,
                type=event_type,
                created_at=created_at or utcnow(),
                data=data or {"id": "ct_1", "firstName": "Ada"},
                changed_fields=None,
                previous=None,
                actor_key_id=None,
                contact_id=None,
            )
        )
    return event_id


def create_hook(client: TestClient, url: str, events: list[str] | None = None) -> dict[str, Any]:
    answer = client.post("/v1/webhooks", json={"url": url, "events": events or ["contact.*"]})
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data
