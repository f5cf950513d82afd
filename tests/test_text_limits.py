"""Every text field of every write route: its maximum length is accepted, one more is a 400 naming
the field, on SQLite and on PostgreSQL alike (review M2: PostgreSQL answered 500 where a string was
longer than its column, and SQLite stored it).

The values are made of letters that case folding lengthens ("ß" folds to "ss") where a field is
compared case-insensitively, so that a stored key can never be longer than its column.
"""

from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_error, create_contact, create_list, phone

Send = Callable[[TestClient, str], httpx.Response]

CONTACT_TEXT = {
    "firstName": 255,
    "lastName": 255,
    "instagramId": 255,
    "currentCampaign": 255,
    "channel": 255,
    "externalId": 255,
    "customChannel": 255,
    "chatWidgetId": 255,
}


def _contact_route(kind: str, field: str) -> Send:
    def send(api: TestClient, value: str) -> httpx.Response:
        if kind == "create":
            return api.post("/v1/contacts", json={"phoneNumber": phone(), field: value})
        if kind == "upsert":
            return api.post("/v1/contacts/upsert", json={"phoneNumber": phone(), field: value})
        return api.request(kind.upper(), f"/v1/contacts/{create_contact(api)}", json={field: value})

    return send


def _contact_routes() -> dict[str, tuple[Send, str, int]]:
    return {
        f"{kind} {field}": (_contact_route(kind, field), field, limit)
        for field, limit in CONTACT_TEXT.items()
        for kind in ("create", "upsert", "put", "patch")
    }


def _message(api: TestClient, **fields: Any) -> httpx.Response:
    return api.post(
        f"/v1/contacts/messages/{create_contact(api)}",
        json={"direction": "inbound", "body": "hi", **fields},
    )


ROUTES: dict[str, tuple[Send, str, int]] = {
    **_contact_routes(),
    "create tags item": (
        lambda api, v: api.post("/v1/contacts", json={"phoneNumber": phone(), "tags": [v]}),
        "tags.0",
        255,
    ),
    "list name": (lambda api, v: api.post("/v1/lists", json={"name": v}), "name", 255),
    "list description": (
        lambda api, v: api.post("/v1/lists", json={"name": phone(), "description": v}),
        "description",
        10_000,
    ),
    "list rename": (
        lambda api, v: api.patch(f"/v1/lists/{create_list(api)}", json={"name": v}),
        "name",
        255,
    ),
    "put tag name": (
        lambda api, v: api.put(f"/v1/tags/{v}", json={"description": "d"}),
        "name",
        255,
    ),
    "put tag description": (
        lambda api, v: api.put(f"/v1/tags/{phone()}", json={"description": v}),
        "description",
        10_000,
    ),
    "tag contact, tag in the body": (
        lambda api, v: api.post(
            "/v1/tags", json={"tag": v, "phoneNumber": _number_of(api), "description": "d"}
        ),
        "tag",
        255,
    ),
    "tag contact, tag in the query": (
        lambda api, v: api.post(
            "/v1/tags",
            params={"tag": v},
            json={"phoneNumber": _number_of(api), "description": "d"},
        ),
        "tag",
        255,
    ),
    "tag contact, tag in the query alone": (
        lambda api, v: api.post("/v1/tags", params={"tag": v, "phoneNumber": _number_of(api)}),
        "tag",
        255,
    ),
    "attach tag": (
        lambda api, v: api.post(f"/v1/contacts/{create_contact(api)}/tags", json={"tags": [v]}),
        "tags.0",
        255,
    ),
    "attach tag with description": (
        lambda api, v: api.post(
            f"/v1/contacts/{create_contact(api)}/tags",
            json={"tags": [{"name": v, "description": "d"}]},
        ),
        "tags.0",
        255,
    ),
    "message body": (lambda api, v: _message(api, body=v), "body", 65_536),
    "message mediaUrl": (lambda api, v: _message(api, mediaUrl=v), "mediaUrl", 2048),
    "message mediaContentType": (
        lambda api, v: _message(api, mediaContentType=v),
        "mediaContentType",
        255,
    ),
    "message channel": (lambda api, v: _message(api, channel=v), "channel", 255),
    "message status": (lambda api, v: _message(api, status=v), "status", 64),
    "message messageSid": (lambda api, v: _message(api, messageSid=v), "messageSid", 255),
}

# Fields compared case-insensitively (a folded key is stored beside them).
FOLDED = {"list name", "list rename", "put tag name", "create tags item", "attach tag"}
FOLDED |= {name for name in ROUTES if name.startswith(("tag contact", "attach tag"))}


def assert_invalid(response: httpx.Response, field: str) -> None:
    """A 400 naming the field (an item of a list that takes a name or an object: the item)."""
    body = assert_error(response, 400, "validation_error")
    named = [detail["field"] for detail in body["details"]]
    assert any(name == field or name.startswith(field + ".") for name in named), body


def _number_of(api: TestClient) -> str:
    number = phone()
    create_contact(api, phoneNumber=number)
    return number


def _text(length: int, route: str) -> str:
    # "ß" where the value is folded: its key is twice as long. A letter where the field is plain.
    return "ß" * length if route in FOLDED else "x" * length


@pytest.mark.parametrize("route", list(ROUTES))
def test_the_longest_value_is_accepted(api: TestClient, route: str) -> None:
    send, _, limit = ROUTES[route]
    value = "a" * limit if route in FOLDED else _text(limit, route)

    response = send(api, value)

    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize("route", list(ROUTES))
def test_one_character_more_is_400_naming_the_field(api: TestClient, route: str) -> None:
    send, field, limit = ROUTES[route]

    response = send(api, _text(limit + 1, route))

    assert_invalid(response, field)


@pytest.mark.parametrize("route", sorted(FOLDED))
def test_a_name_that_folding_makes_too_long_is_400_naming_the_field(
    api: TestClient, route: str
) -> None:
    send, field, _ = ROUTES[route]

    response = send(api, "ß" * 200)  # 200 characters, 400 once folded

    assert_invalid(response, field)


@pytest.mark.parametrize("route", sorted(FOLDED))
def test_a_name_that_folds_to_the_longest_key_is_accepted(api: TestClient, route: str) -> None:
    send, _, _ = ROUTES[route]

    response = send(api, "ß" * 127 + "a")  # 255 once folded

    assert response.status_code in (200, 201), response.text


def test_email_longer_than_its_column_is_400_naming_it(api: TestClient) -> None:
    address = "a" * 64 + "@" + ".".join(["b" * 63] * 4) + ".com"

    response = api.post("/v1/contacts", json={"phoneNumber": phone(), "email": address})

    assert_invalid(response, "email")
