"""M4: a read-only key never writes, idempotency records included, and cannot touch a read-write
client's keys (the review's three reproductions)."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.models import Contact, IdempotencyKey
from tests.factories import Account, assert_error, count_rows, create_contact, phone


@pytest.fixture
def read_only(app: FastAPI, engine: Engine, account: Account) -> TestClient:
    """A client with a read-only key of ``account``."""
    from contacthub.accounts import service as accounts
    from contacthub.core import db

    with db.write(engine) as conn:
        _, key = accounts.create_key(conn, account.id, read_only=True)
    return TestClient(app, headers={"X-API-Key": key}, raise_server_exceptions=False)


def test_a_read_only_write_with_a_key_is_403_and_stores_nothing(
    read_only: TestClient, api: TestClient, engine: Engine, account: Account
) -> None:
    contact_id = create_contact(api)
    writes = [
        ("POST", "/v1/contacts", {"phoneNumber": phone()}),
        ("PUT", f"/v1/contacts/{contact_id}", {"firstName": "x"}),
        ("PATCH", f"/v1/contacts/{contact_id}", {"firstName": "x"}),
        ("DELETE", f"/v1/contacts/{contact_id}", None),
        ("POST", "/v1/lists", {"name": "Q"}),
        ("POST", f"/v1/contacts/messages/{contact_id}", {"direction": "inbound", "body": "x"}),
    ]
    for n, (method, path, body) in enumerate(writes):
        answer = read_only.request(method, path, json=body, headers={"Idempotency-Key": f"ro-{n}"})
        assert_error(answer, 403, "forbidden")

    assert count_rows(engine, IdempotencyKey, account.id) == 0


def test_a_read_only_key_cannot_block_a_read_write_clients_key(
    read_only: TestClient, api: TestClient, engine: Engine, account: Account
) -> None:
    number = phone()
    refused = read_only.post(
        "/v1/contacts",
        json={"phoneNumber": number, "firstName": "junk"},
        headers={"Idempotency-Key": "order-43"},
    )
    real = api.post(
        "/v1/contacts", json={"phoneNumber": number}, headers={"Idempotency-Key": "order-43"}
    )

    assert refused.status_code == 403
    assert real.status_code == 200, real.text  # before: 409 idempotency_conflict for a day
    assert count_rows(engine, Contact, account.id, phone_number=number) == 1


def test_a_read_only_403_is_not_replayed_to_a_read_write_key(
    read_only: TestClient, api: TestClient, engine: Engine, account: Account
) -> None:
    body = {"phoneNumber": phone()}
    read_only.post("/v1/contacts", json=body, headers={"Idempotency-Key": "order-42"})
    real = api.post("/v1/contacts", json=body, headers={"Idempotency-Key": "order-42"})

    assert real.status_code == 200, real.text  # before: the 403, replayed
    assert "Idempotent-Replayed" not in real.headers
    assert count_rows(engine, Contact, account.id) == 1


def test_a_write_answer_is_not_replayed_to_a_read_only_key(
    read_only: TestClient, api: TestClient, engine: Engine, account: Account
) -> None:
    name = f"Q-{phone()}"
    first = api.post("/v1/lists", json={"name": name}, headers={"Idempotency-Key": "k"})
    again = read_only.post("/v1/lists", json={"name": name}, headers={"Idempotency-Key": "k"})

    assert first.status_code == 201
    assert_error(again, 403, "forbidden")  # before: 201, Idempotent-Replayed: true
    assert "Idempotent-Replayed" not in again.headers
