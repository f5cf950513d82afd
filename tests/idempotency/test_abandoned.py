"""L12: a request with an Idempotency-Key runs once. A request still running is not taken for
dead, and a failure to store its answer (after it was sent) never leaves the key claimed."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, update
from sqlalchemy.exc import OperationalError

from contacthub.idempotency import repository
from contacthub.models import Contact, IdempotencyKey
from tests.factories import Account, count_rows, phone


def _as_if_running_since(engine: Engine, account_id: str, key: str, since: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
            .values(status=None, body=None, created_at=since)
        )


def test_a_request_running_for_minutes_is_not_taken_over(
    api: TestClient, engine: Engine, account: Account
) -> None:
    body = {"phoneNumber": phone()}
    api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "slow"})
    # Still running after 2 minutes: a bulk call, or a write waiting out a lock.
    _as_if_running_since(engine, account.id, "slow", datetime.now(UTC) - timedelta(minutes=2))

    again = api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "slow"})

    assert again.json()["error"] == "idempotency_in_progress"  # before: taken over, run twice


def test_a_claim_older_than_any_request_is_taken_over(
    api: TestClient, engine: Engine, account: Account
) -> None:
    number = phone()
    _ = api.post("/v1/contacts", json={"phoneNumber": number}, headers={"Idempotency-Key": "dead"})
    _as_if_running_since(engine, account.id, "dead", datetime.now(UTC) - timedelta(minutes=11))

    again = api.post(
        "/v1/contacts", json={"phoneNumber": number}, headers={"Idempotency-Key": "dead"}
    )

    assert again.json()["error"] == "contact_exists"  # ran again: the first request died


def _failing(times: int | None) -> Any:
    """``repository.store`` failing its first ``times`` calls (all of them for None)."""
    real = repository.store
    calls = {"n": 0}

    def store(conn: Connection, *args: Any, **kwargs: Any) -> bool:
        calls["n"] += 1
        if times is None or calls["n"] <= times:
            raise OperationalError("UPDATE idempotency_keys", {}, Exception("database is locked"))
        return real(conn, *args, **kwargs)

    return store


def test_a_store_that_fails_once_is_tried_again(
    api: TestClient, engine: Engine, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "store", _failing(1))
    body = {"phoneNumber": phone()}
    first = api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "flaky"})
    monkeypatch.undo()

    again = api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "flaky"})

    assert first.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"  # before: 409 in progress
    assert again.json() == first.json()
    assert count_rows(engine, Contact, account.id) == 1


def test_a_store_that_keeps_failing_does_not_leave_the_key_claimed(
    api: TestClient, engine: Engine, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "store", _failing(None))
    first = api.post("/v1/lists", json={"name": "once"}, headers={"Idempotency-Key": "lost"})
    monkeypatch.undo()

    assert first.status_code == 201  # the answer the client got
    assert count_rows(engine, IdempotencyKey, account.id, key="lost") == 0  # before: claimed
    again = api.post("/v1/lists", json={"name": "once"}, headers={"Idempotency-Key": "lost"})
    assert again.json()["error"] == "conflict"  # run again (the name is taken), not 409 in progress
