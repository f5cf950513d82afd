"""A delete that commits between a write's check and its insert (review L8), on both databases.

The delete runs in a transaction of its own, opened first; the request starts while it is open
and the delete commits once the request waits (on PostgreSQL: for a lock, seen in
pg_stat_activity; on SQLite: for the one write lock). The request must answer as if the row had
never been there (404, or the 403 of list membership), never 500 from a foreign key.
"""

import threading
import time
from collections.abc import Callable

import httpx2 as httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, text

from contacthub.core import db
from contacthub.models import Contact, ContactList, ListMembership, Message
from tests.factories import Account, assert_error, count_rows, create_contact, create_list


def _waiting_for_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        )


def while_deleting(
    engine: Engine, statement: object, request: Callable[[], httpx.Response]
) -> httpx.Response:
    """The answer to ``request`` sent while ``statement`` is run, then committed, by another."""
    answers: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: answers.append(request()))
    with db.write(engine) as conn:  # commits when the block ends
        conn.execute(statement)  # type: ignore[call-overload]
        thread.start()
        deadline = time.monotonic() + 10
        if engine.dialect.name == "sqlite":
            time.sleep(0.5)  # the request waits for the write lock this transaction holds
        else:
            while not _waiting_for_a_lock(engine) and time.monotonic() < deadline:
                time.sleep(0.02)
    thread.join(30)
    return answers[0]


def test_adding_a_contact_to_a_list_being_deleted_is_403(
    api: TestClient, engine: Engine, account: Account
) -> None:
    contact_id, list_id = create_contact(api), create_list(api)

    response = while_deleting(
        engine,
        delete(ContactList).where(ContactList.account_id == account.id, ContactList.id == list_id),
        lambda: api.post("/v1/contacts/lists", json={"contactId": contact_id, "listId": list_id}),
    )

    assert_error(response, 403, "permission_denied")
    assert count_rows(engine, ListMembership, account.id) == 0


def test_bulk_adding_to_a_list_being_deleted_is_404(
    api: TestClient, engine: Engine, account: Account
) -> None:
    contact_id, list_id = create_contact(api), create_list(api)

    response = while_deleting(
        engine,
        delete(ContactList).where(ContactList.account_id == account.id, ContactList.id == list_id),
        lambda: api.post(f"/v1/lists/{list_id}/contacts", json={"contactIds": [contact_id]}),
    )

    assert_error(response, 404, "not_found")


def test_creating_a_contact_on_a_list_being_deleted_is_404(
    api: TestClient, engine: Engine, account: Account
) -> None:
    list_id = create_list(api)

    response = while_deleting(
        engine,
        delete(ContactList).where(ContactList.account_id == account.id, ContactList.id == list_id),
        lambda: api.post("/v1/contacts", json={"phoneNumber": "+14155550142", "listId": list_id}),
    )

    assert_error(response, 404, "not_found")
    assert count_rows(engine, Contact, account.id) == 0


def test_a_message_to_a_contact_being_erased_is_404(
    api: TestClient, engine: Engine, account: Account
) -> None:
    contact_id = create_contact(api)

    response = while_deleting(
        engine,
        delete(Contact).where(Contact.account_id == account.id, Contact.id == contact_id),
        lambda: api.post(
            f"/v1/contacts/messages/{contact_id}", json={"direction": "inbound", "body": "hi"}
        ),
    )

    assert_error(response, 404, "not_found")
    assert count_rows(engine, Message, account.id) == 0
