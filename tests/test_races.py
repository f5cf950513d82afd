"""Concurrent creates of one identity make one contact, on SQLite and PostgreSQL.

Two ways: threads calling the service layer on their own connections (the database itself is
the only referee), and concurrent HTTP requests to a real two-process server.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Engine

from contacthub.contacts import service
from contacthub.contacts.schemas import ContactCreate
from contacthub.core import db
from contacthub.errors import ContactExists
from contacthub.models import Contact
from tests.factories import Account, count_rows
from tests.server import Server


def test_threads_creating_one_phone_make_one_contact(engine: Engine, account: Account) -> None:
    start = threading.Barrier(16)

    def create(_: int) -> str:
        start.wait()
        body = ContactCreate.model_validate({"phoneNumber": "+14155550100"})
        try:
            with db.write(engine) as conn:
                return "created:" + service.create_contact(conn, account.id, body)
        except ContactExists as exc:
            return "exists:" + str(exc.extra["contactId"])

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(create, range(16)))

    created = [o.split(":")[1] for o in outcomes if o.startswith("created:")]
    assert len(created) == 1
    assert all(o == f"exists:{created[0]}" for o in outcomes if not o.startswith("created:"))
    assert count_rows(engine, Contact, account.id) == 1


@pytest.mark.slow
def test_concurrent_http_creates_of_one_phone(
    database_url: str, engine: Engine, account: Account
) -> None:
    server = Server(database_url, workers=2).start()
    try:
        spellings = ["+1 (415) 555-0100", "14155550100", "+14155550100", "1.415.555.0100"]

        def create(n: int) -> httpx.Response:
            return httpx.post(
                f"{server.url}/v1/contacts",
                json={"phoneNumber": spellings[n % 4], "firstName": f"n{n}"},
                headers={"X-API-Key": account.key},
                timeout=30,
            )

        with ThreadPoolExecutor(32) as pool:
            responses = list(pool.map(create, range(64)))
    finally:
        server.stop()

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 63
    winner = next(r.json()["data"]["contactId"] for r in responses if r.status_code == 200)
    conflicts: list[dict[str, Any]] = [r.json() for r in responses if r.status_code == 409]
    assert all(c["error"] == "contact_exists" and c["contactId"] == winner for c in conflicts)
    assert count_rows(engine, Contact, account.id) == 1
