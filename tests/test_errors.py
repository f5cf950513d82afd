"""The error envelope on every failure, the statuses of API.md §1, the headers, the OpenAPI document."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.app import create_app
from contacthub.config import Settings
from contacthub.models import ContactList
from tests.factories import (
    Account,
    assert_error,
    count_rows,
    create_contact,
    create_list,
    make_account,
)

ONE_MIB = 1024 * 1024

# Every route of API.md §3-§5, as (method, path template).
CONTRACT_ROUTES = [
    ("GET", "/v1/contacts"),
    ("POST", "/v1/contacts"),
    ("PUT", "/v1/contacts/{contactId}"),
    ("POST", "/v1/contacts/lists"),
    ("DELETE", "/v1/contacts/lists"),
    ("GET", "/v1/contacts/tags/{contactId}"),
    ("GET", "/v1/contacts/messages/{contactId}"),
    ("GET", "/v1/contacts/{contactId}"),
    ("DELETE", "/v1/contacts/{contactId}"),
    ("POST", "/v1/contacts/upsert"),
    ("GET", "/v1/contacts/search"),
    ("POST", "/v1/contacts/messages/{contactId}"),
    ("POST", "/v1/contacts/{contactId}/tags"),
    ("DELETE", "/v1/contacts/{contactId}/tags/{name}"),
    ("GET", "/v1/lists"),
    ("POST", "/v1/lists"),
    ("GET", "/v1/lists/{listId}"),
    ("PATCH", "/v1/lists/{listId}"),
    ("DELETE", "/v1/lists/{listId}"),
    ("GET", "/v1/lists/{listId}/contacts"),
    ("POST", "/v1/lists/{listId}/contacts"),
    ("DELETE", "/v1/lists/{listId}/contacts"),
    ("GET", "/v1/tags"),
    ("POST", "/v1/tags"),
    ("PUT", "/v1/tags/{name}"),
    ("DELETE", "/v1/tags/{name}"),
]


def served(api: TestClient, method: str, template: str) -> bool:
    """Whether the app routes this method and path (it may still refuse what is sent)."""
    path = template.format(contactId="ct_x", listId="ls_x", name="vip")
    response = api.request(method, path, json=None if method == "GET" else {})
    if response.status_code == 405:
        return False
    return not (
        response.status_code == 404 and response.json()["message"].startswith("No route matches")
    )


def oversized_list_body(size: int) -> bytes:
    """A valid JSON body for POST /v1/lists of exactly ``size`` bytes."""
    frame = b'{"name": "x", "description": ""}'
    return frame[:-2] + b" " * (size - len(frame)) + frame[-2:]


def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def broken_client(settings: Settings, *, raise_server_exceptions: bool = False) -> TestClient:
    """A client of an app whose database never answers, with a well-formed key: every /v1 call
    fails unexpectedly."""
    broken = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    return TestClient(
        create_app(broken),
        headers={"X-API-Key": "ch_" + "A" * 43},
        raise_server_exceptions=raise_server_exceptions,
    )


class TestMalformedBodies:
    ROUTES = [
        ("POST", "/v1/contacts"),
        ("PUT", "/v1/contacts/{contact}"),
        ("POST", "/v1/contacts/lists"),
        ("DELETE", "/v1/contacts/lists"),
        ("POST", "/v1/lists"),
        ("PATCH", "/v1/lists/{list}"),
        ("POST", "/v1/lists/{list}/contacts"),
        ("POST", "/v1/tags"),
        ("PUT", "/v1/tags/vip"),
    ]

    @pytest.mark.parametrize(("method", "path"), ROUTES)
    @pytest.mark.parametrize(
        "content",
        [
            # not JSON
            b'{"name": "x"',
            b"{name: 'x'}",
            b"not json",
            b"{}}",
            # JSON, but not an object
            b"[]",
            b'["x"]',
            b'"x"',
            b"1",
            b"true",
        ],
    )
    def test_a_body_that_is_not_a_json_object_is_400(
        self, api: TestClient, method: str, path: str, content: bytes
    ) -> None:
        path = path.format(contact=create_contact(api), list=create_list(api))

        response = api.request(
            method, path, content=content, headers={"Content-Type": "application/json"}
        )

        assert_error(response, 400)

    @pytest.mark.parametrize("content", [b"null", b""])
    def test_a_missing_body_where_one_is_required_is_400(
        self, api: TestClient, engine: Engine, account: Account, content: bytes
    ) -> None:
        response = api.post(
            "/v1/lists", content=content, headers={"Content-Type": "application/json"}
        )

        assert_error(response, 400)
        assert count_rows(engine, ContactList, account.id) == 0


class TestBodySize:
    def test_a_body_over_1_mib_with_content_length_is_413(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        body = oversized_list_body(ONE_MIB + 1)

        response = api.post("/v1/lists", content=body)

        assert response.request.headers["content-length"] == str(ONE_MIB + 1)
        assert assert_error(response, 413)["error"] == "payload_too_large"
        assert count_rows(engine, ContactList, account.id) == 0

    def test_a_body_over_1_mib_without_content_length_is_413(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        body = oversized_list_body(ONE_MIB + 1)

        response = api.post("/v1/lists", content=chunks(body))

        assert "content-length" not in response.request.headers
        assert assert_error(response, 413)["error"] == "payload_too_large"
        assert count_rows(engine, ContactList, account.id) == 0

    @pytest.mark.parametrize("streamed", [False, True])
    def test_a_body_of_exactly_1_mib_is_read(self, api: TestClient, streamed: bool) -> None:
        body = oversized_list_body(ONE_MIB)

        response = api.post("/v1/lists", content=chunks(body) if streamed else body)

        # Read, and refused for what it says (a description over 10,000 characters), not its size.
        assert assert_error(response, 400)["details"][0]["field"] == "description"


class TestRoutingErrors:
    @pytest.mark.parametrize(
        "path", ["/v1/nope", "/nope", "/v1/lists/ls_x/members", "/v1/contacts/a/b/c", "/v2/tags"]
    )
    def test_an_unknown_route_is_404(self, api: TestClient, path: str) -> None:
        for method in ("GET", "POST"):
            assert assert_error(api.request(method, path), 404)["error"] == "not_found"

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("PATCH", "/v1/tags"),
            ("DELETE", "/v1/tags"),
            ("PUT", "/v1/lists"),
            ("DELETE", "/v1/lists"),
            ("POST", "/v1/lists/ls_x"),
            ("PATCH", "/v1/contacts"),
            ("POST", "/healthz"),
        ],
    )
    def test_a_wrong_method_is_405(self, api: TestClient, method: str, path: str) -> None:
        response = api.request(method, path, json={})

        assert assert_error(response, 405)["error"] == "method_not_allowed"

    @pytest.mark.parametrize(
        ("path", "allowed"),
        [
            ("/v1/tags", {"GET", "POST"}),
            ("/v1/lists", {"GET", "POST"}),
            ("/v1/lists/ls_x", {"GET", "PATCH", "DELETE"}),
            ("/v1/contacts", {"GET", "POST"}),
        ],
    )
    def test_a_405_lists_every_method_the_path_allows(
        self, api: TestClient, path: str, allowed: set[str]
    ) -> None:
        # RFC 9110 §15.5.6: a 405 carries an Allow header listing the methods the target supports.
        response = api.put(path, json={}) if "PUT" not in allowed else api.patch(path, json={})

        assert response.status_code == 405
        listed = {method.strip() for method in response.headers["allow"].split(",")}
        assert allowed <= listed


class TestNever422:
    @pytest.mark.parametrize(
        ("method", "path", "kwargs"),
        [
            ("GET", "/v1/lists?limit=abc", {}),
            ("GET", "/v1/lists?limit=1.5", {}),
            ("GET", "/v1/lists/{list}/contacts?limit=-1", {}),
            ("GET", "/v1/contacts/messages/{contact}?limit=x&order=sideways", {}),
            ("GET", "/v1/contacts/search?is_bot_active=perhaps", {}),
            ("GET", "/v1/contacts/search?updatedSince=yesterday", {}),
            ("GET", "/v1/contacts?phoneNumber=abc", {}),
            ("POST", "/v1/contacts", {"json": {"phoneNumber": 14155550100}}),
            ("POST", "/v1/contacts", {"json": {"phoneNumber": "+14155550100", "tags": "vip"}}),
            ("PUT", "/v1/contacts/{contact}", {"json": {"customFields": []}}),
            ("POST", "/v1/contacts/upsert", {"json": {"unknown": 1}}),
            ("POST", "/v1/contacts/messages/{contact}", {"json": {"direction": "sideways"}}),
            ("POST", "/v1/contacts/{contact}/tags", {"json": {"tags": [1]}}),
            ("POST", "/v1/lists", {"json": {"name": ["x"]}}),
            ("PATCH", "/v1/lists/{list}", {"json": {"description": {}}}),
            ("POST", "/v1/lists/{list}/contacts", {"json": {"contactIds": [None]}}),
            ("POST", "/v1/tags", {"json": {"tag": 1, "phoneNumber": "+14155550100"}}),
            ("PUT", "/v1/tags/vip", {"json": {"description": ["x"]}}),
            ("PUT", "/v1/tags/" + "x" * 300, {"json": {}}),
        ],
    )
    def test_invalid_input_is_400_in_the_envelope(
        self, api: TestClient, method: str, path: str, kwargs: dict[str, Any]
    ) -> None:
        path = path.format(contact=create_contact(api), list=create_list(api))

        response = api.request(method, path, **kwargs)

        assert response.status_code != 422
        assert_error(response, 400)

    def test_the_openapi_document_has_no_422(self, anonymous: TestClient) -> None:
        document = anonymous.get("/openapi.json").json()

        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                assert "422" not in operation.get("responses", {}), (method, path)
        schemas = document.get("components", {}).get("schemas", {})
        assert "HTTPValidationError" not in schemas
        assert '"422"' not in json.dumps(document)


class TestEveryError:
    def test_has_the_envelope_and_nothing_else(
        self, app: FastAPI, api: TestClient, anonymous: TestClient, engine: Engine
    ) -> None:
        reader = make_account(engine, read_only=True)
        read_only = TestClient(
            app, headers={"X-API-Key": reader.key}, raise_server_exceptions=False
        )
        contact_id = create_contact(api, phoneNumber="+14155550100", externalId="crm-1")
        list_id = create_list(api, "Taken")

        answers = {
            400: [
                api.post("/v1/contacts", json={"phoneNumber": "+1234567890"}),
                api.post("/v1/contacts", json={"firstName": "no phone"}),
                api.get("/v1/contacts"),
                api.post("/v1/contacts/lists", json={}),
                api.get("/v1/contacts/tags/"),
                api.post("/v1/tags", json={}),
            ],
            401: [anonymous.get("/v1/tags"), anonymous.get("/v1/tags", params={"apiKey": "x"})],
            403: [
                read_only.post("/v1/lists", json={"name": "x"}),
                api.post("/v1/contacts/lists", json={"contactId": "ct_x", "listId": list_id}),
            ],
            404: [
                api.get("/v1/contacts", params={"phoneNumber": "+14155550101"}),
                api.get("/v1/contacts/ct_x"),
                api.get("/v1/lists/ls_x"),
                api.delete("/v1/tags/nope"),
                api.get("/v1/nope"),
            ],
            405: [api.patch("/v1/tags")],
            409: [
                api.post("/v1/contacts", json={"phoneNumber": "+14155550100"}),
                api.put(f"/v1/contacts/{create_contact(api)}", json={"externalId": "crm-1"}),
                api.post("/v1/lists", json={"name": "taken"}),
            ],
            413: [api.post("/v1/lists", content=oversized_list_body(ONE_MIB + 1))],
        }

        for status, responses in answers.items():
            for response in responses:
                assert_error(response, status)
        conflict = answers[409][0].json()
        assert conflict["contactId"] == contact_id

    def test_an_unexpected_failure_is_500_internal_without_a_stack_trace(
        self, settings: Settings
    ) -> None:
        client = broken_client(settings)

        response = client.get("/v1/tags")

        body = assert_error(response, 500)
        assert body["error"] == "internal"
        for leak in ("Traceback", "psycopg", "OperationalError", "127.0.0.1", "nobody"):
            assert leak not in response.text


class TestHeaders:
    def test_nosniff_on_every_answer_and_no_store_on_v1_answers(
        self, api: TestClient, anonymous: TestClient
    ) -> None:
        v1 = [
            api.get("/v1/tags"),
            api.post("/v1/lists", json={"name": "x"}),
            api.get("/v1/lists/ls_x"),
            api.post("/v1/lists", json={"nme": "x"}),
            anonymous.get("/v1/tags"),
            api.get("/v1/nope"),
            api.patch("/v1/tags"),
            api.post("/v1/lists", content=oversized_list_body(ONE_MIB + 1)),
            api.post("/v1/lists", content=chunks(oversized_list_body(ONE_MIB + 1))),
        ]
        others = [
            anonymous.get("/healthz"),
            anonymous.get("/readyz"),
            anonymous.get("/openapi.json"),
            anonymous.get("/docs"),
            anonymous.get("/nope"),
        ]

        for response in v1:
            assert response.headers.get("x-content-type-options") == "nosniff", response.url
            assert response.headers.get("cache-control") == "no-store", response.url
        for response in others:
            assert response.headers.get("x-content-type-options") == "nosniff", response.url

    def test_nosniff_and_no_store_even_on_an_unexpected_failure(self, settings: Settings) -> None:
        client = broken_client(settings)

        response = client.get("/v1/tags")

        assert response.status_code == 500
        assert response.headers.get("x-content-type-options") == "nosniff"
        assert response.headers.get("cache-control") == "no-store"

    def test_an_unexpected_failure_is_answered_not_raised_to_the_server(
        self, settings: Settings
    ) -> None:
        # An exception that escapes the app makes uvicorn drop the keep-alive connection, so the
        # client's next request on it fails unanswered. The app must answer the 500 itself.
        client = broken_client(settings, raise_server_exceptions=True)

        response = client.get("/v1/tags")

        assert response.status_code == 500

    def test_json_answers_say_utf_8(self, api: TestClient) -> None:
        for response in (api.get("/v1/lists"), api.get("/v1/tags"), api.get("/v1/lists/ls_x")):
            assert response.headers["content-type"] == "application/json; charset=utf-8"


class TestOpenAPI:
    @pytest.fixture
    def document(self, anonymous: TestClient) -> dict[str, Any]:
        response = anonymous.get("/openapi.json")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    def test_the_app_serves_every_route_of_the_contract(self, api: TestClient) -> None:
        assert not served(api, "GET", "/v1/nothing/{name}")
        assert not served(api, "PATCH", "/v1/tags")
        assert [route for route in CONTRACT_ROUTES if not served(api, *route)] == []

    def test_lists_every_contract_route_the_app_serves(
        self, api: TestClient, document: dict[str, Any]
    ) -> None:
        documented = {
            (method.upper(), path)
            for path, operations in document["paths"].items()
            for method in operations
        }

        missing = [
            route for route in CONTRACT_ROUTES if route not in documented and served(api, *route)
        ]
        assert missing == []
        assert ("GET", "/healthz") in documented and ("GET", "/readyz") in documented

    def test_documents_the_three_ways_to_send_a_key_on_every_v1_route(
        self, document: dict[str, Any]
    ) -> None:
        schemes = document["components"]["securitySchemes"]
        query = [
            n for n, s in schemes.items() if s.get("in") == "query" and s.get("name") == "apiKey"
        ]
        header = [
            n
            for n, s in schemes.items()
            if s.get("in") == "header" and s.get("name") == "X-API-Key"
        ]
        bearer = [
            n
            for n, s in schemes.items()
            if s.get("type") == "http" and s.get("scheme", "").lower() == "bearer"
        ]
        assert query and header and bearer

        for path, operations in document["paths"].items():
            if not path.startswith("/v1/"):
                continue
            for method, operation in operations.items():
                named = {
                    name for requirement in operation.get("security", []) for name in requirement
                }
                for kind in (query, header, bearer):
                    assert named & set(kind), (method, path, kind)

    def test_documents_the_error_envelope_on_every_v1_route(self, document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        envelopes = [
            name
            for name, schema in schemas.items()
            if {"success", "error", "message", "details", "contactId"}
            <= set(schema.get("properties", {}))
        ]
        assert envelopes, "no error schema"
        refs = {f"#/components/schemas/{name}" for name in envelopes}

        for path, operations in document["paths"].items():
            if not path.startswith("/v1/"):
                continue
            for method, operation in operations.items():
                errors = {
                    status: response
                    for status, response in operation["responses"].items()
                    if status.startswith(("4", "5"))
                }
                assert "401" in errors, (method, path)
                for status, response in errors.items():
                    schemas_used = [
                        content["schema"].get("$ref")
                        for content in response.get("content", {}).values()
                    ]
                    assert schemas_used and set(schemas_used) <= refs, (method, path, status)

    def test_docs_are_served(self, anonymous: TestClient) -> None:
        response = anonymous.get("/docs")

        assert response.status_code == 200
        assert "openapi.json" in response.text
