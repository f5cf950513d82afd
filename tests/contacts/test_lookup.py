"""The phone lookup's hot path (contacts/lookup.py) answers exactly as the regular route does.

The hot path runs its statements on the raw driver connection of its own engine, so a request it
answers runs no statement on the application's engine: that is how these tests tell which of the
two answered. A number spelt with spaces always goes to the regular route.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Select, event

from contacthub.accounts import service as accounts
from contacthub.accounts.repository import LIVE_KEY
from contacthub.contacts import lookup as hot_path
from contacthub.core import db
from tests.factories import Account, create_contact, create_list, get_contact

NUMBER = "+14155550142"
SPACED = "+1 415 555 0142"


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The statements the application's engine runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def lookup(api: TestClient, number: str, **params: str) -> Any:
    return api.get("/v1/contacts", params={"phoneNumber": number, **params})


@pytest.fixture
def warm_api(api: TestClient) -> TestClient:
    """A client whose key has been used once (a key's first use is recorded by the regular route)."""
    lookup(api, "+14155550199")
    return api


def test_a_full_contact_is_answered_by_the_hot_path_as_by_the_route(
    warm_api: TestClient, engine: Engine
) -> None:
    api = warm_api
    lists = [create_list(api), create_list(api)]
    contact_id = create_contact(
        api,
        phoneNumber=NUMBER,
        firstName="Zoë",
        email="Zoe@Example.com",
        tags=["beta", "Alpha", "gamma"],
        listIds=lists,
        customFields={"plan": {"tier": 2, "tags": ["x"]}, "score": 1.5},
        currentCampaignData={"step": 3},
    )
    message = {"body": "hi", "direction": "inbound"}  # opens the chat window
    assert api.post(f"/v1/contacts/messages/{contact_id}", json=message).status_code == 201

    with statements(engine) as hot:
        fast = lookup(api, NUMBER)
    with statements(engine) as regular:
        slow = lookup(api, SPACED)

    assert hot == []
    assert regular != []
    assert fast.status_code == slow.status_code == 200
    assert fast.json() == slow.json()
    assert fast.json()["contact"] == get_contact(api, contact_id)
    assert fast.json()["contact"]["tags"] == ["Alpha", "beta", "gamma"]
    assert fast.json()["contact"]["isChatWindowOpen"] is True
    # The fields clients of the original read (API.md §2), from the contact's own columns.
    assert fast.json()["contact"]["hasHadActivity"] is True
    assert fast.json()["contact"]["lastIncomingMessageAt"] is not None
    assert fast.json()["contact"]["isBotActive"] is True
    assert fast.headers["content-type"] == slow.headers["content-type"]


def test_the_key_in_the_query_and_without_the_plus_is_hot_too(
    warm_api: TestClient, account: Account, anonymous: TestClient, engine: Engine
) -> None:
    contact_id = create_contact(warm_api, phoneNumber=NUMBER)

    with statements(engine) as hot:
        response = lookup(anonymous, NUMBER.lstrip("+"), apiKey=account.key)

    assert hot == []
    assert response.status_code == 200
    assert response.json()["contactId"] == contact_id


@pytest.mark.parametrize("written", ["%2B14155550142", "%2b14155550142", "+14155550142"])
def test_the_number_as_a_raw_query_is_hot(
    warm_api: TestClient, engine: Engine, written: str
) -> None:
    # A bare "+" in a query decodes as a space; it is read as the "+" clients mean.
    contact_id = create_contact(warm_api, phoneNumber=NUMBER)

    with statements(engine) as hot:
        response = warm_api.get(f"/v1/contacts?phoneNumber={written}")

    assert hot == []
    assert response.status_code == 200
    assert response.json()["contactId"] == contact_id


def test_a_bare_plus_is_international_on_the_hot_path_and_the_route_alike(
    warm_api: TestClient, engine: Engine
) -> None:
    # A bare "+" in a query decodes as a space; clients mean the "+". For a US account 2484611634
    # is a US number, +2484611634 one of the Seychelles: every route must read the "+".
    assert warm_api.patch("/v1/account", json={"defaultCountry": "US"}).status_code == 200
    seychelles = create_contact(warm_api, phoneNumber="+2484611634")
    create_contact(warm_api, phoneNumber="+12484611634")

    with statements(engine) as hot:
        fast = warm_api.get("/v1/contacts?phoneNumber=+2484611634")
    with statements(engine) as regular:
        twice = warm_api.get("/v1/contacts?phoneNumber=+2484611634&phoneNumber=+2484611634")
        spaced = warm_api.get("/v1/contacts?phoneNumber=+248+461+1634")

    assert hot == []
    assert regular != []
    assert [r.status_code for r in (fast, twice, spaced)] == [200, 200, 200]
    assert fast.json()["contactId"] == seychelles
    assert twice.json() == spaced.json() == fast.json()


def test_a_revoked_key_is_refused_on_the_next_request(
    warm_api: TestClient, account: Account, engine: Engine
) -> None:
    create_contact(warm_api, phoneNumber=NUMBER)
    assert lookup(warm_api, NUMBER).status_code == 200
    with db.write(engine) as conn:
        for key in accounts.list_keys(conn, account.id):
            accounts.revoke_key(conn, key["id"])

    response = lookup(warm_api, NUMBER)

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_another_accounts_contact_is_not_found(warm_api: TestClient, other_api: TestClient) -> None:
    create_contact(other_api, phoneNumber=NUMBER)

    response = lookup(warm_api, NUMBER)

    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "not_found",
        "message": "Contact not found",
    }


def test_an_invalid_number_of_e164_shape_is_refused_as_the_route_refuses_it(
    warm_api: TestClient,
) -> None:
    response = lookup(warm_api, "+1234567890")

    assert response.status_code == 400
    assert "not a valid phone number" in response.json()["message"]


def test_a_failing_driver_connection_hands_the_request_to_sqlalchemy(
    warm_api: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both the hot path and the key check read on driver connections; if those fail (a dropped
    # PostgreSQL connection, say), the request is answered through SQLAlchemy all the same.
    contact_id = create_contact(warm_api, phoneNumber=NUMBER)
    connections = app.state.driver_connections
    failures = []

    async def failing(*args: Any, **kwargs: Any) -> None:
        failures.append(args)
        raise connections.errors[-1]("connection lost")

    monkeypatch.setattr(connections, "afetch", failing)
    response = lookup(warm_api, NUMBER)

    assert response.status_code == 200
    assert response.json()["contactId"] == contact_id
    assert len(failures) == 2  # the hot path's query, then the key check's


def test_the_hot_path_checks_the_key_as_every_other_route_does() -> None:
    # The lookup joins the contact onto the key check; its condition must stay LIVE_KEY's.
    key_and_contact = hot_path._statements()[0]
    assert isinstance(key_and_contact, Select)
    assert str(key_and_contact.whereclause) == str(LIVE_KEY.whereclause)
