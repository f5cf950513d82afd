"""H2: erasing a contact leaves nothing of it in the idempotency records, in the erasing
transaction; and records older than a day are swept on a timer, not only after a new request."""

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from contacthub.app import create_app
from contacthub.config import Settings
from contacthub.core import db
from contacthub.core.clock import utcnow
from contacthub.idempotency import repository
from contacthub.models import IdempotencyKey
from tests.factories import Account, count_rows, create_contact, phone


def _stored_bodies(engine: Engine, account_id: str) -> dict[str, bytes]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(IdempotencyKey.key, IdempotencyKey.body).where(
                IdempotencyKey.account_id == account_id
            )
        )
        return {row.key: row.body or b"" for row in rows}


def test_an_erased_contacts_answers_are_forgotten_and_never_replayed(
    api: TestClient, engine: Engine, account: Account
) -> None:
    contact_id = create_contact(api, email="ada@example.com")
    update = {"lastName": "Lovelace", "customFields": {"ssn": "123-45-6789"}}
    card = "my card is 4111 1111 1111 1111"
    key = {"Idempotency-Key": "upd-1"}
    assert api.put(f"/v1/contacts/{contact_id}", json=update, headers=key).status_code == 200
    message = {"direction": "inbound", "body": card}
    sent = api.post(
        f"/v1/contacts/messages/{contact_id}", json=message, headers={"Idempotency-Key": "msg-1"}
    )
    assert sent.status_code == 201
    tagged = api.post(
        f"/v1/contacts/{contact_id}/tags", json={"tags": ["vip"]}, headers={"Idempotency-Key": "t"}
    )
    assert tagged.status_code == 200
    # A 409 from another write that names the contact.
    number = api.get(f"/v1/contacts/{contact_id}").json()["data"]["phoneNumber"]
    clash = api.post(
        "/v1/contacts", json={"phoneNumber": number}, headers={"Idempotency-Key": "clash"}
    )
    assert clash.json()["contactId"] == contact_id
    assert set(_stored_bodies(engine, account.id)) == {"upd-1", "msg-1", "t", "clash"}

    erased = api.delete(f"/v1/contacts/{contact_id}", headers={"Idempotency-Key": "erase"})

    assert erased.status_code == 200
    stored = _stored_bodies(engine, account.id)
    assert set(stored) == {"erase"}  # before: all five, for a day
    for body in stored.values():
        for personal in (b"123-45-6789", b"4111", b"Lovelace", b"ada@", contact_id.encode()):
            assert personal not in body
    again = api.put(f"/v1/contacts/{contact_id}", json=update, headers=key)
    assert again.status_code == 404  # run again, not the erased contact replayed
    assert "Idempotent-Replayed" not in again.headers
    replayed = api.delete(f"/v1/contacts/{contact_id}", headers={"Idempotency-Key": "erase"})
    assert replayed.headers["Idempotent-Replayed"] == "true"  # the erasure's own answer stays


def test_erasing_one_contact_keeps_the_records_of_the_others(
    api: TestClient, other_api: TestClient, engine: Engine, account: Account
) -> None:
    erased, kept = create_contact(api), create_contact(api)
    body = {"firstName": "Kept"}
    api.put(f"/v1/contacts/{kept}", json=body, headers={"Idempotency-Key": "kept"})
    api.put(f"/v1/contacts/{erased}", json=body, headers={"Idempotency-Key": "gone"})
    other_api.post(
        "/v1/contacts", json={"phoneNumber": phone()}, headers={"Idempotency-Key": "gone"}
    )

    api.delete(f"/v1/contacts/{erased}")

    assert set(_stored_bodies(engine, account.id)) == {"kept"}
    again = api.put(f"/v1/contacts/{kept}", json=body, headers={"Idempotency-Key": "kept"})
    assert again.headers["Idempotent-Replayed"] == "true"
    replay = other_api.post(
        "/v1/contacts", json={"phoneNumber": phone()}, headers={"Idempotency-Key": "gone"}
    )
    assert replay.json()["error"] == "idempotency_conflict"  # the other account's record stays


def test_an_answer_whose_contact_was_erased_before_the_store_is_not_kept(
    api: TestClient, engine: Engine, account: Account
) -> None:
    # The erasure committed between the write's commit and the store of its answer.
    contact_id = create_contact(api)
    answer = api.get(f"/v1/contacts/{contact_id}").content
    now = utcnow()
    with db.write(engine) as conn:
        assert repository.claim(conn, account.id, "late", "f" * 64, now)
    api.delete(f"/v1/contacts/{contact_id}")

    with db.write(engine) as conn:
        kept = repository.store(conn, account.id, "late", 200, answer)

    assert kept is False
    assert count_rows(engine, IdempotencyKey, account.id, key="late") == 0


def test_old_records_are_swept_at_startup_without_any_request(
    settings: Settings, engine: Engine, account: Account
) -> None:
    with db.write(engine) as conn:
        repository.claim(
            conn, account.id, "ancient", "f" * 64, datetime.now(UTC) - timedelta(hours=25)
        )
        repository.store(conn, account.id, "ancient", 200, b'{"success":true}')
        repository.claim(conn, account.id, "recent", "f" * 64, datetime.now(UTC))

    with TestClient(create_app(settings)):  # the app's lifespan, and no request at all
        deadline = time.monotonic() + 10
        while count_rows(engine, IdempotencyKey, account.id, key="ancient"):
            assert time.monotonic() < deadline, "the sweep did not run"
            time.sleep(0.05)

    assert count_rows(engine, IdempotencyKey, account.id, key="recent") == 1
