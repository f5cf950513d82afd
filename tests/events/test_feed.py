"""GET /v1/events: paging, filters, limits, signed cursors, isolation, retention, concurrency."""

import random
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.core import db
from contacthub.core.clock import utcnow
from contacthub.events import outbox
from contacthub.events import service as events_service
from tests.events.test_types import events
from tests.factories import Account, assert_invalid, create_contact, create_list


def test_pages_resume_where_they_stopped_and_the_cursor_is_never_null(api: TestClient) -> None:
    first = api.get("/v1/events").json()
    assert first["data"] == [] and first["done"] is True and first["nextCursor"]
    ids = [create_contact(api) for _ in range(5)]
    page = api.get("/v1/events", params={"after": first["nextCursor"], "limit": 2}).json()
    assert [e["data"]["id"] for e in page["data"]] == ids[:2] and page["done"] is False
    rest = api.get("/v1/events", params={"after": page["nextCursor"], "limit": 3}).json()
    assert [e["data"]["id"] for e in rest["data"]] == ids[2:] and rest["done"] is True
    idle = api.get("/v1/events", params={"after": rest["nextCursor"]}).json()
    assert idle["data"] == [] and idle["done"] is True
    newer = create_contact(api)
    resumed = api.get("/v1/events", params={"after": idle["nextCursor"]}).json()
    assert [e["data"]["id"] for e in resumed["data"]] == [newer]


def test_types_filter_exact_and_prefix(api: TestClient) -> None:
    create_list(api)
    contact_id = create_contact(api, tags=["a"])
    assert {e["type"] for e in events(api, types="contact.*")} == {
        "contact.created",
        "contact.tagged",
    }
    assert [e["type"] for e in events(api, types="list.created,contact.tagged")] == [
        "list.created",
        "contact.tagged",
    ]
    assert events(api, types="message.created") == []
    assert_invalid(api.get("/v1/events", params={"types": "contact%"}), "types")
    assert contact_id


@pytest.mark.parametrize("limit", [0, 1001, -1])
def test_limit_bounds(api: TestClient, limit: int) -> None:
    assert_invalid(api.get("/v1/events", params={"limit": limit}), "limit")


def test_limit_1000_is_accepted(api: TestClient) -> None:
    assert api.get("/v1/events", params={"limit": 1000}).status_code == 200


def test_a_cursor_is_bound_to_its_account_and_filter(
    api: TestClient, other_api: TestClient
) -> None:
    create_contact(api)
    cursor = api.get("/v1/events", params={"limit": 1}).json()["nextCursor"]
    assert_invalid(other_api.get("/v1/events", params={"after": cursor}), "after")
    assert_invalid(api.get("/v1/events", params={"after": cursor, "types": "list.*"}), "after")
    assert_invalid(api.get("/v1/events", params={"after": cursor[:-2] + "AA"}), "after")


def test_feeds_are_isolated_between_accounts(api: TestClient, other_api: TestClient) -> None:
    mine = create_contact(api)
    theirs = create_contact(other_api)
    assert [e["data"]["id"] for e in events(api)] == [mine]
    assert [e["data"]["id"] for e in events(other_api)] == [theirs]


def test_retention_sweep_deletes_old_events_only(api: TestClient, engine: Engine) -> None:
    create_contact(api)
    with db.write(engine) as conn:
        assert events_service.sweep(conn, utcnow(), retention_days=30) == 0
    kept = events(api)
    with db.write(engine) as conn:
        assert events_service.sweep(conn, utcnow() + timedelta(days=31)) >= len(kept)
    assert events(api) == []


WRITERS = 8
PER_WRITER = 40


def test_a_walk_concurrent_with_8_writers_sees_every_event_once(
    api: TestClient, engine: Engine, account: Account
) -> None:
    """Writers hold their transaction open a random while after their events took positions, so
    they commit in random order: positions from a plain sequence would let the walk pass one
    that commits later, and this test would miss it."""
    written: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for i in range(PER_WRITER):
            with db.write(engine) as conn:
                marker = f"w{n}-{i}"
                outbox.record(conn, account.id, "contact.deleted", {"id": marker})
                # Runs after the outbox's flush, before the commit.
                conn.info[db.BEFORE_COMMIT]["zz"] = lambda _: time.sleep(random.random() / 50)
            with lock:
                written.append(marker)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    seen: list[str] = []
    after = None
    while True:
        running = any(t.is_alive() for t in threads)
        body = api.get("/v1/events", params={"after": after, "limit": 7}).json()
        seen += [e["data"]["id"] for e in body["data"]]
        after = body["nextCursor"]
        if not running and body["done"]:
            break
    for thread in threads:
        thread.join()
    assert len(seen) == len(set(seen)) == WRITERS * PER_WRITER
    assert set(seen) == set(written)
