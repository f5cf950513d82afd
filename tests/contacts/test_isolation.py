"""Accounts cannot see or touch each other's contacts, and a read-only key cannot write."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.accounts import service as accounts
from contacthub.core import db
from tests.factories import (
    UNKNOWN_CONTACT,
    Account,
    create_contact,
    create_list,
    get_contact,
    phone,
)

MALFORMED_CONTACT = "nope"

# Every endpoint that takes a contact id in its path: (method, path, JSON body or None).
BY_CONTACT_ID = [
    ("GET", "/v1/contacts/{id}", None),
    ("PUT", "/v1/contacts/{id}", {"firstName": "Mallory", "email": "mallory@example.com"}),
    ("PATCH", "/v1/contacts/{id}", {"firstName": "Mallory", "customFields": {"plan": None}}),
    ("DELETE", "/v1/contacts/{id}", None),
    ("GET", "/v1/contacts/tags/{id}", None),
    ("GET", "/v1/contacts/messages/{id}", None),
    ("POST", "/v1/contacts/messages/{id}", {"direction": "inbound", "body": "injected"}),
    ("POST", "/v1/contacts/{id}/tags", {"tags": ["hacked", {"name": "vip", "description": "x"}]}),
    ("DELETE", "/v1/contacts/{id}/tags/vip", None),
]


def call(api: TestClient, method: str, path: str, body: Any) -> Any:
    if body is None:
        return api.request(method, path)
    return api.request(method, path, json=body)


def everything_about(api: TestClient, contact_id: str) -> dict[str, Any]:
    """What the account itself sees of one contact: the contact, its tags, its messages."""
    return {
        "contact": get_contact(api, contact_id),
        "tags": api.get(f"/v1/contacts/tags/{contact_id}").json(),
        "messages": api.get(f"/v1/contacts/messages/{contact_id}").json(),
    }


def read_only_client(app: FastAPI, engine: Engine, account: Account) -> TestClient:
    """A client with a read-only key of this account (so its writes would otherwise succeed)."""
    with db.write(engine) as conn:
        _, key = accounts.create_key(conn, account.id, read_only=True)
    return TestClient(app, headers={"X-API-Key": key}, raise_server_exceptions=False)


class TestAnotherAccountsContact:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        BY_CONTACT_ID,
        ids=[f"{method} {path}" for method, path, _ in BY_CONTACT_ID],
    )
    def test_answers_exactly_like_a_nonexistent_id_and_changes_nothing(
        self,
        api: TestClient,
        other_api: TestClient,
        method: str,
        path: str,
        body: Any,
    ) -> None:
        their_list = create_list(other_api)
        theirs = create_contact(
            other_api,
            firstName="Olivia",
            email="olivia@example.com",
            listId=their_list,
            tags=[{"name": "vip", "description": "theirs"}],
            customFields={"plan": "gold"},
        )
        reply = other_api.post(
            f"/v1/contacts/messages/{theirs}", json={"direction": "outbound", "body": "hi"}
        )
        assert reply.status_code == 201
        before = everything_about(other_api, theirs)
        assert before["contact"]["isChatWindowOpen"] is False

        responses = {
            "theirs": call(api, method, path.format(id=theirs), body),
            "unknown": call(api, method, path.format(id=UNKNOWN_CONTACT), body),
            "malformed": call(api, method, path.format(id=MALFORMED_CONTACT), body),
        }

        assert {name: r.status_code for name, r in responses.items()} == {
            "theirs": 404,
            "unknown": 404,
            "malformed": 404,
        }
        assert responses["theirs"].json() == responses["unknown"].json()
        assert responses["theirs"].json() == responses["malformed"].json()
        assert responses["theirs"].json()["error"] == "not_found"
        assert "Olivia" not in responses["theirs"].text
        assert everything_about(other_api, theirs) == before
        assert other_api.get(f"/v1/lists/{their_list}").json()["data"]["contactCount"] == 1
        assert other_api.get("/v1/tags").json() == [{"name": "vip", "description": "theirs"}]
        assert api.get("/v1/tags").json() == []

    def test_their_contact_is_not_found_by_phone_email_or_search(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        number = phone()
        create_contact(
            other_api, phoneNumber=number, email="olivia@example.com", firstName="Olivia"
        )

        assert api.get("/v1/contacts", params={"phoneNumber": number}).status_code == 404
        assert api.get("/v1/contacts", params={"email": "olivia@example.com"}).status_code == 404
        assert api.get("/v1/contacts/search", params={"q": "Olivia"}).json()["data"] == []


class TestReadOnlyKey:
    def test_every_write_is_403_and_changes_nothing(
        self, app: FastAPI, engine: Engine, api: TestClient, account: Account
    ) -> None:
        list_id, spare_list = create_list(api, name="Kept"), create_list(api, name="Spare")
        number = phone()
        contact_id = create_contact(
            api, phoneNumber=number, firstName="Ann", listId=list_id, tags=["vip"]
        )
        api.post(f"/v1/contacts/messages/{contact_id}", json={"direction": "outbound", "body": "x"})
        before = {
            "contact": everything_about(api, contact_id),
            "lists": api.get("/v1/lists").json(),
            "tags": api.get("/v1/tags").json(),
            "contacts": api.get("/v1/contacts/search").json(),
        }
        reader = read_only_client(app, engine, account)

        writes: list[tuple[str, str, Any]] = [
            ("POST", "/v1/contacts", {"phoneNumber": phone()}),
            ("POST", "/v1/contacts/upsert", {"phoneNumber": number, "firstName": "Mallory"}),
            ("PUT", f"/v1/contacts/{contact_id}", {"firstName": "Mallory"}),
            ("PATCH", f"/v1/contacts/{contact_id}", {"firstName": "Mallory"}),
            ("DELETE", f"/v1/contacts/{contact_id}", None),
            ("POST", "/v1/contacts/lists", {"contactId": contact_id, "listId": spare_list}),
            ("DELETE", f"/v1/contacts/lists?contactId={contact_id}&listId={list_id}", None),
            ("DELETE", "/v1/contacts/lists", {"contactId": contact_id, "listId": list_id}),
            ("POST", f"/v1/contacts/{contact_id}/tags", {"tags": ["new"]}),
            ("DELETE", f"/v1/contacts/{contact_id}/tags/vip", None),
            ("POST", f"/v1/contacts/messages/{contact_id}", {"direction": "inbound", "body": "y"}),
            ("POST", "/v1/lists", {"name": "Another"}),
            ("PATCH", f"/v1/lists/{list_id}", {"name": "Renamed"}),
            ("DELETE", f"/v1/lists/{list_id}", None),
            ("POST", f"/v1/lists/{spare_list}/contacts", {"contactIds": [contact_id]}),
            ("DELETE", f"/v1/lists/{list_id}/contacts", {"contactIds": [contact_id]}),
            ("POST", "/v1/tags", {"tag": "new", "phoneNumber": number}),
            ("PUT", "/v1/tags/vip", {"description": "changed"}),
            ("DELETE", "/v1/tags/vip", None),
        ]
        for method, path, body in writes:
            response = call(reader, method, path, body)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["success"] is False, (method, path)
            assert response.json()["error"] == "forbidden", (method, path)

        after = {
            "contact": everything_about(api, contact_id),
            "lists": api.get("/v1/lists").json(),
            "tags": api.get("/v1/tags").json(),
            "contacts": api.get("/v1/contacts/search").json(),
        }
        assert after == before
        # It may still read.
        assert reader.get(f"/v1/contacts/{contact_id}").json() == {
            "success": True,
            "data": before["contact"]["contact"],
        }
        assert reader.get("/v1/contacts", params={"phoneNumber": number}).status_code == 200
