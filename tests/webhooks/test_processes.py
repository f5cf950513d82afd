"""The worker as processes: ``contacthub serve`` delivers by itself; with ``--no-worker`` it leaves
deliveries to a separate ``contacthub worker``.

Real processes on the test database, a receiver on 127.0.0.1, and the signature checked with the
``standardwebhooks`` package.
"""

import time

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from standardwebhooks import Webhook

from tests.factories import make_account, phone
from tests.server import Server, WorkerProcess
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.slow

ALLOW_PRIVATE = {"CONTACTHUB_WEBHOOK_ALLOW_PRIVATE": "1"}


def _hook_and_contact(server: Server, key: str, receiver: Receiver) -> tuple[str, str]:
    """An endpoint at the receiver, then a new contact; (the endpoint's secret, the contact id)."""
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=10) as http:
        hook = http.post("/v1/webhooks", json={"url": receiver.url, "events": ["contact.*"]})
        assert hook.status_code == 201, hook.text
        created = http.post("/v1/contacts", json={"phoneNumber": phone(), "firstName": "Ada"})
        assert created.status_code == 200, created.text
        return hook.json()["data"]["secret"], created.json()["contactId"]


def _wait_for_delivery(receiver: Receiver, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)


def _assert_delivered(receiver: Receiver, secret: str, contact_id: str) -> None:
    assert len(receiver.received) == 1
    delivery = receiver.received[0]
    event = Webhook(secret).verify(delivery.body, delivery.headers)
    assert event["type"] == "contact.created"
    assert event["data"]["id"] == contact_id
    assert delivery.headers["webhook-id"] == event["id"]


def test_serve_delivers_with_its_own_worker(
    database_url: str, engine: Engine, receiver: Receiver
) -> None:
    account = make_account(engine)
    server = Server(database_url, env=ALLOW_PRIVATE).start()
    try:
        secret, contact_id = _hook_and_contact(server, account.key, receiver)
        _wait_for_delivery(receiver, 20)
    finally:
        server.stop()
    _assert_delivered(receiver, secret, contact_id)


def test_serve_no_worker_leaves_it_to_contacthub_worker(
    database_url: str, engine: Engine, receiver: Receiver
) -> None:
    account = make_account(engine)
    server = Server(database_url, env=ALLOW_PRIVATE, args=["--no-worker"]).start()
    worker = WorkerProcess(database_url, env=ALLOW_PRIVATE)
    try:
        secret, contact_id = _hook_and_contact(server, account.key, receiver)
        _wait_for_delivery(receiver, 2)
        assert receiver.received == []  # no worker in the server: nothing is sent
        worker.start()
        _wait_for_delivery(receiver, 20)
    finally:
        worker.stop()
        server.stop()
    _assert_delivered(receiver, secret, contact_id)
