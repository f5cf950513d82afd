"""Cursors are signed and bound to the account, the endpoint and its filters (review L9).

A cursor the endpoint did not give out to this account for these filters is a 400 naming
``cursor``: from another account, another endpoint, other filters, forged or tampered with.
"""

import base64

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_invalid, create_contact, create_list, record_message


def next_cursor(api: TestClient, path: str, **params: str) -> str:
    response = api.get(path, params={"limit": 1, **params})
    assert response.status_code == 200, response.text
    cursor: str = response.json()["nextCursor"]
    assert cursor
    return cursor


@pytest.fixture
def search_cursor(api: TestClient) -> str:
    create_contact(api, channel="sms")
    create_contact(api, channel="sms")
    return next_cursor(api, "/v1/contacts/search", channel="sms")


def test_a_cursor_is_url_safe_and_does_not_show_its_key(search_cursor: str) -> None:
    assert all(c.isalnum() or c in "-_" for c in search_cursor), search_cursor
    assert b"ct_" not in base64.urlsafe_b64decode(search_cursor + "=" * (-len(search_cursor) % 4))


def test_the_cursor_it_gave_out_is_taken(api: TestClient, search_cursor: str) -> None:
    response = api.get(
        "/v1/contacts/search", params={"channel": "sms", "limit": 1, "cursor": search_cursor}
    )

    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 1


def test_another_accounts_cursor_is_400(other_api: TestClient, search_cursor: str) -> None:
    response = other_api.get(
        "/v1/contacts/search", params={"channel": "sms", "cursor": search_cursor}
    )

    assert_invalid(response, "cursor")


def test_a_cursor_with_other_filters_is_400(api: TestClient, search_cursor: str) -> None:
    assert_invalid(
        api.get("/v1/contacts/search", params={"channel": "web", "cursor": search_cursor}),
        "cursor",
    )
    assert_invalid(api.get("/v1/contacts/search", params={"cursor": search_cursor}), "cursor")


def test_a_cursor_of_another_endpoint_is_400(api: TestClient) -> None:
    list_id = create_list(api)
    create_list(api)
    lists_cursor = next_cursor(api, "/v1/lists")

    assert_invalid(api.get("/v1/contacts/search", params={"cursor": lists_cursor}), "cursor")
    assert_invalid(
        api.get(f"/v1/lists/{list_id}/contacts", params={"cursor": lists_cursor}), "cursor"
    )


def test_a_message_cursor_is_bound_to_its_contact_and_order(api: TestClient) -> None:
    first, second = create_contact(api), create_contact(api)
    for contact_id in (first, second):
        record_message(api, contact_id)
        record_message(api, contact_id)
    cursor = next_cursor(api, f"/v1/contacts/messages/{first}")

    assert api.get(f"/v1/contacts/messages/{first}", params={"cursor": cursor}).status_code == 200
    assert_invalid(api.get(f"/v1/contacts/messages/{second}", params={"cursor": cursor}), "cursor")
    assert_invalid(
        api.get(f"/v1/contacts/messages/{first}", params={"cursor": cursor, "order": "desc"}),
        "cursor",
    )


def test_a_forged_cursor_is_400(api: TestClient) -> None:
    create_contact(api)
    forged = base64.urlsafe_b64encode(orjson.dumps(["ct_0"])).decode().rstrip("=")

    assert_invalid(api.get("/v1/contacts/search", params={"cursor": forged}), "cursor")
    assert_invalid(api.get("/v1/lists", params={"cursor": forged}), "cursor")


def test_a_tampered_cursor_is_400(api: TestClient, search_cursor: str) -> None:
    flipped = search_cursor[:-2] + ("A" if search_cursor[-2] != "A" else "B") + search_cursor[-1]

    response = api.get("/v1/contacts/search", params={"channel": "sms", "cursor": flipped})

    assert_invalid(response, "cursor")
