"""Deliveries to a loopback receiver, verified with the standardwebhooks package from PyPI."""

import json
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from contacthub.core import db
from contacthub.core.clock import to_wire, utcnow
from contacthub.models import Event, WebhookDelivery
from contacthub.webhooks import service as webhooks
from tests.factories import Account
from tests.webhooks.conftest import Receiver, add_event, create_hook, step


def deliveries(hooks: TestClient, hook_id: str) -> list[dict[str, object]]:
    answer = hooks.get(f"/v1/webhooks/{hook_id}/deliveries")
    assert answer.status_code == 200
    data: list[dict[str, object]] = answer.json()["data"]
    return data


def test_a_delivery_verifies_with_standardwebhooks(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    hook = create_hook(hooks, receiver.url, ["contact.*"])
    event_id = add_event(engine, account.id, "contact.created", {"id": "ct_9", "firstName": "Ada"})
    add_event(engine, account.id, "message.created")  # not subscribed
    step(engine, database_url)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    payload = Verifier(hook["secret"]).verify(got.body, got.headers)
    assert payload["id"] == event_id == got.headers["webhook-id"]
    assert payload["type"] == "contact.created"
    assert payload["data"] == {"id": "ct_9", "firstName": "Ada"}
    with pytest.raises(WebhookVerificationError):
        Verifier("whsec_" + "A" * 43 + "=").verify(got.body, got.headers)
    rows = deliveries(hooks, hook["id"])
    assert [(r["eventId"], r["attempt"], r["status"], r["responseStatus"]) for r in rows] == [
        (event_id, 1, "succeeded", 204)
    ]


def test_failures_are_retried_with_the_same_id_then_abandoned(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    hook = create_hook(hooks, receiver.url)
    add_event(engine, account.id)
    receiver.answers = [(500, {}), (503, {}), (502, {})]
    now = utcnow()
    step(engine, database_url, now)
    step(engine, database_url, now + timedelta(seconds=4))  # not due yet
    assert len(receiver.received) == 1
    step(engine, database_url, now + timedelta(seconds=5))
    step(engine, database_url, now + timedelta(seconds=305))
    step(engine, database_url, now + timedelta(days=3))  # no attempt left
    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    rows = deliveries(hooks, hook["id"])
    assert [(r["attempt"], r["status"], r["responseStatus"]) for r in rows] == [
        (3, "abandoned", 502),
        (2, "failed", 503),
        (1, "failed", 500),
    ]
    assert rows[2]["nextAttemptAt"] == to_wire(now + timedelta(seconds=5))
    assert rows[0]["nextAttemptAt"] is None


def test_a_longer_retry_after_is_waited(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    hook = create_hook(hooks, receiver.url)
    add_event(engine, account.id)
    receiver.answers = [(429, {"Retry-After": "120"})]
    now = utcnow()
    step(engine, database_url, now)
    step(engine, database_url, now + timedelta(seconds=60))  # the schedule's 5 s passed: wait
    assert len(receiver.received) == 1
    step(engine, database_url, now + timedelta(seconds=120))
    assert len(receiver.received) == 2
    rows = deliveries(hooks, hook["id"])
    assert [r["status"] for r in rows] == ["succeeded", "failed"]
    assert rows[1]["nextAttemptAt"] == to_wire(now + timedelta(seconds=120))


def test_410_disables_the_endpoint_and_is_final(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    hook = create_hook(hooks, receiver.url)
    gone = add_event(engine, account.id)
    receiver.answers = [(410, {})]
    now = utcnow()
    step(engine, database_url, now)
    assert hooks.get(f"/v1/webhooks/{hook['id']}").json()["data"]["enabled"] is False
    rows = deliveries(hooks, hook["id"])
    assert [(r["attempt"], r["status"], r["responseStatus"], r["nextAttemptAt"]) for r in rows] == [
        (1, "abandoned", 410, None)
    ]
    later = add_event(engine, account.id)
    step(engine, database_url, now + timedelta(hours=1))
    assert len(receiver.received) == 1  # nothing is sent while disabled
    hooks.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True})
    step(engine, database_url, now + timedelta(hours=1))
    step(engine, database_url, now + timedelta(days=4))  # past every retry
    # Only the event that came meanwhile: the one answered 410 is not sent again.
    assert [r.headers["webhook-id"] for r in receiver.received] == [gone, later]


def test_rotation_signs_with_both_secrets(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    hook = create_hook(hooks, receiver.url)
    rotated = hooks.post(f"/v1/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json()["data"]["secret"]
    assert new.startswith("whsec_") and new != hook["secret"]
    add_event(engine, account.id)
    step(engine, database_url)
    got = receiver.received[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Verifier(hook["secret"]).verify(got.body, got.headers)
    Verifier(new).verify(got.body, got.headers)
    # After the overlap, only the new secret signs.
    add_event(engine, account.id)
    step(engine, database_url, utcnow() + timedelta(hours=24, seconds=1))
    later = receiver.received[1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1


def test_recover_queues_what_did_not_succeed(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    hook = create_hook(hooks, receiver.url)
    failed = add_event(engine, account.id)
    receiver.answers = [(500, {}), (204, {})]
    now = utcnow()
    step(engine, database_url, now)
    ok = add_event(engine, account.id)
    step(engine, database_url, now)
    for later in (5, 305, 1000):  # the failed one runs out of attempts
        receiver.answers = [(500, {})]
        step(engine, database_url, now + timedelta(seconds=later))
    receiver.answers = []
    answer = hooks.post(
        f"/v1/webhooks/{hook['id']}/recover", json={"since": to_wire(now - timedelta(minutes=1))}
    )
    assert answer.json() == {"success": True, "data": {"queued": 1}}
    step(engine, database_url)
    last = receiver.received[-1]
    assert last.headers["webhook-id"] == failed != ok
    assert deliveries(hooks, hook["id"])[0]["status"] == "succeeded"
    again = hooks.post(
        f"/v1/webhooks/{hook['id']}/recover", json={"since": to_wire(now - timedelta(minutes=1))}
    )
    assert again.json()["data"]["queued"] == 0


def test_a_pending_delivery_sends_the_event_as_it_is_now(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    # Erasure redacts events; a delivery renders its event when sent, so the redaction reaches it.
    create_hook(hooks, receiver.url)
    event_id = add_event(engine, account.id, data={"id": "ct_1", "firstName": "Ada"})
    receiver.answers = [(500, {})]
    now = utcnow()
    step(engine, database_url, now)
    with db.write(engine) as conn:
        conn.execute(
            update(Event)
            .where(Event.account_id == account.id, Event.id == event_id)
            .values(data={"id": "ct_1"})
        )
    step(engine, database_url, now + timedelta(seconds=5))
    assert json.loads(receiver.received[0].body)["data"]["firstName"] == "Ada"
    assert json.loads(receiver.received[1].body)["data"] == {"id": "ct_1"}


def test_a_name_resolving_to_loopback_is_refused_when_connecting(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    # Allowed when created (the app allows private addresses); the worker does not.
    hook = create_hook(hooks, f"http://localhost:{receiver.port}/hook")
    add_event(engine, account.id)
    step(engine, database_url, allow_private=False)
    assert receiver.received == []
    row = deliveries(hooks, hook["id"])[-1]
    assert row["status"] == "failed"
    # The tenant is told no more than that: not what the name resolved to (internal DNS).
    assert row["error"] == "address not allowed"


def test_a_dead_workers_lease_runs_out_and_the_job_is_taken_again(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    hook = create_hook(hooks, receiver.url)
    add_event(engine, account.id)
    now = utcnow()
    with db.write(engine) as conn:
        webhooks.dispatch(conn, now)
    with db.write(engine) as conn:  # a worker claims it, then dies before sending
        claimed = webhooks.claim(conn, now, "dead-worker", 1000)
    assert hook["id"] in {job.webhook_id for job in claimed}
    step(engine, database_url, now + timedelta(seconds=30))  # still leased
    assert receiver.received == []
    step(engine, database_url, now + timedelta(seconds=61))
    assert len(receiver.received) == 1
    assert [r["status"] for r in deliveries(hooks, hook["id"])] == ["succeeded"]


def test_two_workers_never_claim_one_attempt(
    hooks: TestClient, account: Account, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    # 20 endpoints of 10 events each: an endpoint has at most PER_ENDPOINT attempts in flight.
    for _ in range(200 // webhooks.PER_ENDPOINT):
        create_hook(hooks, receiver.url)
    for _ in range(webhooks.PER_ENDPOINT):
        add_event(engine, account.id)
    now = utcnow()
    with db.write(engine) as conn:
        webhooks.dispatch(conn, now)
    claims: dict[str, list[str]] = {}
    start = threading.Barrier(4)

    def claim(owner: str) -> None:
        start.wait()
        mine: list[str] = []
        while True:
            with db.write(engine) as conn:
                jobs = webhooks.claim(conn, now, owner, 10)
            if not jobs:
                break
            mine += [job.id for job in jobs]
        claims[owner] = mine

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [job for jobs in claims.values() for job in jobs]
    with db.read(engine) as conn:
        ours = set(
            conn.scalars(select(WebhookDelivery.id).where(WebhookDelivery.account_id == account.id))
        )
    assert len(every) == len(set(every))
    assert ours <= set(every)
    assert len(ours) == 200
