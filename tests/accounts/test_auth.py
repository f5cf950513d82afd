"""API keys: three ways to send one, refusals, revocation, read-only keys, no key in clear anywhere."""

import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from contacthub.accounts import service as accounts
from contacthub.app import create_app
from contacthub.config import Settings
from contacthub.core import db
from contacthub.core.security import new_key
from contacthub.logs import RedactingFormatter
from contacthub.models import ApiKey, Base
from tests.factories import (
    Account,
    assert_error,
    create_contact,
    create_list,
    get_contact,
    make_account,
)


class QueryKeyClient(TestClient):
    """A client that adds ``apiKey`` to the query of every request, as the seed's clients do."""

    def __init__(self, app: FastAPI, key: str) -> None:
        super().__init__(app, raise_server_exceptions=False)
        self.key = key

    def request(self, method: str, url: Any, *, params: Any = None, **kwargs: Any) -> Any:
        return super().request(method, url, params={**(params or {}), "apiKey": self.key}, **kwargs)


def with_key(app: FastAPI, key: str, how: str) -> TestClient:
    """A client that sends ``key`` one of the three ways."""
    if how == "query":
        return QueryKeyClient(app, key)
    if how == "header":
        return TestClient(app, headers={"X-API-Key": key}, raise_server_exceptions=False)
    return TestClient(
        app, headers={"Authorization": f"Bearer {key}"}, raise_server_exceptions=False
    )


def new_key_for(engine: Engine, account_id: str, *, read_only: bool = False) -> tuple[str, str]:
    """Another key for an existing account: (key id, key)."""
    with db.write(engine) as conn:
        return accounts.create_key(conn, account_id, read_only=read_only)


def every_stored_value(engine: Engine) -> Iterator[str]:
    """Every value of every row of every table, as text."""
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        yield bytes(value).decode("latin-1")
                    else:
                        yield str(value)


class TestWaysToSendTheKey:
    @pytest.mark.parametrize("how", ["query", "header", "bearer"])
    def test_each_way_acts_as_the_keys_account(
        self, app: FastAPI, api: TestClient, account: Account, how: str
    ) -> None:
        mine = create_list(api, "Mine")
        client = with_key(app, account.key, how)

        listed = client.get("/v1/lists")
        created = client.post("/v1/lists", json={"name": f"via {how}"})

        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()["data"]] == [mine]
        assert created.status_code == 201
        assert {item["name"] for item in api.get("/v1/lists").json()["data"]} == {
            "Mine",
            f"via {how}",
        }

    @pytest.mark.parametrize("how", ["query", "header", "bearer"])
    def test_each_way_sees_only_its_own_account(
        self, app: FastAPI, other_api: TestClient, account: Account, how: str
    ) -> None:
        theirs = create_contact(other_api)
        create_list(other_api)
        client = with_key(app, account.key, how)

        assert client.get("/v1/lists").json()["data"] == []
        assert client.get(f"/v1/contacts/{theirs}").status_code == 404


class TestRefusedKeys:
    def test_no_key_is_401(self, anonymous: TestClient) -> None:
        assert_error(anonymous.get("/v1/tags"), 401, "unauthorized")

    @pytest.mark.parametrize(
        "key",
        [
            "ch_" + "A" * 43,  # well formed, but nobody's
            "nope",
            "ch_short",
            "ch_" + "a" * 44,
            "' OR 1=1 --",
        ],
    )
    @pytest.mark.parametrize("how", ["query", "header", "bearer"])
    def test_an_unknown_or_malformed_key_is_401(self, app: FastAPI, key: str, how: str) -> None:
        assert_error(with_key(app, key, how).get("/v1/tags"), 401, "unauthorized")

    @pytest.mark.parametrize(
        "authorization", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token ch_x"]
    )
    def test_an_authorization_header_without_a_bearer_key_is_401(
        self, anonymous: TestClient, authorization: str
    ) -> None:
        assert_error(
            anonymous.get("/v1/tags", headers={"Authorization": authorization}), 401, "unauthorized"
        )

    def test_a_key_with_extra_characters_is_401(self, app: FastAPI, account: Account) -> None:
        assert_error(
            with_key(app, account.key + "x", "header").get("/v1/tags"), 401, "unauthorized"
        )
        assert_error(with_key(app, account.key[:-1], "header").get("/v1/tags"), 401, "unauthorized")

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/v1/contacts?phoneNumber=%2B14155550100", None),
            ("POST", "/v1/contacts", {"phoneNumber": "+14155550100"}),
            ("GET", "/v1/contacts/ct_nope", None),
            ("GET", "/v1/contacts/tags/ct_nope", None),
            ("GET", "/v1/lists/ls_nope", None),
            ("POST", "/v1/lists", {"name": "x"}),
            ("DELETE", "/v1/lists/ls_nope", None),
            ("POST", "/v1/tags", {"tag": "x", "phoneNumber": "+14155550100"}),
            ("DELETE", "/v1/tags/x", None),
        ],
    )
    def test_every_v1_route_needs_a_key_before_anything_else(
        self, anonymous: TestClient, method: str, path: str, body: Any
    ) -> None:
        kwargs = {} if body is None else {"json": body}

        assert_error(anonymous.request(method, path, **kwargs), 401, "unauthorized")


class TestRevocation:
    def test_a_revoked_key_is_refused_on_the_very_next_request(
        self, app: FastAPI, engine: Engine, account: Account, api: TestClient
    ) -> None:
        key_id, key = new_key_for(engine, account.id)
        client = with_key(app, key, "header")
        assert client.get("/v1/tags").status_code == 200

        with db.write(engine) as conn:
            accounts.revoke_key(conn, key_id)

        assert_error(client.get("/v1/tags"), 401, "unauthorized")
        assert_error(with_key(app, key, "query").get("/v1/tags"), 401, "unauthorized")
        assert_error(with_key(app, key, "bearer").get("/v1/tags"), 401, "unauthorized")
        assert api.get("/v1/tags").status_code == 200  # the account's other key still works

    def test_rotation_refuses_every_old_key_and_the_new_one_sees_the_same_account(
        self, app: FastAPI, engine: Engine, account: Account, api: TestClient
    ) -> None:
        _, second = new_key_for(engine, account.id)
        list_id = create_list(api)
        assert with_key(app, second, "header").get("/v1/tags").status_code == 200

        with db.write(engine) as conn:
            fresh = accounts.rotate_keys(conn, account.id)

        assert_error(api.get("/v1/tags"), 401, "unauthorized")
        assert_error(with_key(app, second, "bearer").get("/v1/tags"), 401, "unauthorized")
        lists = with_key(app, fresh, "header").get("/v1/lists")
        assert lists.status_code == 200
        assert [item["id"] for item in lists.json()["data"]] == [list_id]

    def test_every_server_process_refuses_a_revoked_key_at_once(
        self, app: FastAPI, settings: Settings, engine: Engine, account: Account
    ) -> None:
        key_id, key = new_key_for(engine, account.id)
        second_app = create_app(settings)
        with with_key(second_app, key, "header") as second, with_key(app, key, "query") as first:
            assert first.get("/v1/tags").status_code == 200
            assert second.get("/v1/tags").status_code == 200

            with db.write(engine) as conn:
                accounts.revoke_key(conn, key_id)

            assert_error(first.get("/v1/tags"), 401, "unauthorized")
            assert_error(second.get("/v1/tags"), 401, "unauthorized")


class TestReadOnlyKey:
    @pytest.fixture
    def reader(self, app: FastAPI, engine: Engine) -> tuple[TestClient, TestClient]:
        """(read-only client, read-write client) of one new account."""
        account = make_account(engine, read_only=True)
        _, writer_key = new_key_for(engine, account.id)
        return with_key(app, account.key, "header"), with_key(app, writer_key, "header")

    def test_reads(self, reader: tuple[TestClient, TestClient]) -> None:
        read_only, writer = reader
        contact_id = create_contact(writer, firstName="Ada", tags=["vip"])
        list_id = create_list(writer)

        assert read_only.get(f"/v1/contacts/{contact_id}").json()["data"]["firstName"] == "Ada"
        assert read_only.get(f"/v1/lists/{list_id}").status_code == 200
        assert [item["id"] for item in read_only.get("/v1/lists").json()["data"]] == [list_id]
        assert read_only.get("/v1/tags").json() == [{"name": "vip", "description": None}]
        assert read_only.get(f"/v1/contacts/tags/{contact_id}").status_code == 200

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("POST", "/v1/contacts", {"phoneNumber": "+14155550199"}),
            ("PUT", "/v1/contacts/{contact}", {"firstName": "Changed"}),
            ("DELETE", "/v1/contacts/{contact}", None),
            ("POST", "/v1/contacts/lists", {"contactId": "{contact}", "listId": "{list}"}),
            ("POST", "/v1/lists", {"name": "new"}),
            ("PATCH", "/v1/lists/{list}", {"name": "Changed"}),
            ("DELETE", "/v1/lists/{list}", None),
            ("POST", "/v1/lists/{list}/contacts", {"contactIds": ["{contact}"]}),
            ("POST", "/v1/tags", {"tag": "new", "phoneNumber": "+14155550198"}),
            ("PUT", "/v1/tags/vip", {"description": "changed"}),
            ("DELETE", "/v1/tags/vip", None),
        ],
    )
    def test_is_403_on_every_write_and_changes_nothing(
        self,
        reader: tuple[TestClient, TestClient],
        method: str,
        path: str,
        body: Any,
    ) -> None:
        read_only, writer = reader
        contact_id = create_contact(
            writer, phoneNumber="+14155550198", firstName="Ada", tags=["vip"]
        )
        list_id = create_list(writer, "Kept")

        def fill(text: str) -> str:
            return text.replace("{contact}", contact_id).replace("{list}", list_id)

        if body is not None:
            body = {
                k: [fill(v) for v in value]
                if isinstance(value, list)
                else fill(value)
                if isinstance(value, str)
                else value
                for k, value in body.items()
            }
        kwargs = {} if body is None else {"json": body}

        response = read_only.request(method, fill(path), **kwargs)

        assert_error(response, 403, "forbidden")
        contact = get_contact(writer, contact_id)
        assert (contact["firstName"], contact["tags"], contact["listIds"]) == ("Ada", ["vip"], [])
        lists = writer.get("/v1/lists").json()["data"]
        assert [(item["name"], item["contactCount"]) for item in lists] == [("Kept", 0)]
        assert writer.get("/v1/tags").json() == [{"name": "vip", "description": None}]
        assert writer.get("/v1/contacts", params={"phoneNumber": "+14155550199"}).status_code == 404


class TestOpenRoutes:
    @pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"])
    def test_needs_no_key(self, anonymous: TestClient, path: str) -> None:
        response = anonymous.get(path)

        assert response.status_code == 200, response.text
        assert response.content


class TestKeysAtRest:
    def test_the_api_keys_table_holds_no_key_in_clear(
        self, engine: Engine, account: Account
    ) -> None:
        _, second = new_key_for(engine, account.id, read_only=True)

        with engine.connect() as conn:
            rows = conn.execute(select(ApiKey)).all()

        assert rows
        mine = [row for row in rows if row.account_id == account.id]
        assert len(mine) == 2
        for row in rows:
            for value in row:
                for key in (account.key, second):
                    assert key not in str(value)
                    assert key.removeprefix("ch_") not in str(value)

    def test_no_table_holds_a_key_that_was_used_every_way(
        self, app: FastAPI, engine: Engine, account: Account
    ) -> None:
        for how in ("query", "header", "bearer"):
            client = with_key(app, account.key, how)
            response = client.post(
                "/v1/lists", json={"name": f"via {how}"}, headers={"Idempotency-Key": f"k-{how}"}
            )
            assert response.status_code == 201, response.text

        for value in every_stored_value(engine):
            assert account.key not in value


class TestKeysInLogs:
    def test_no_key_reaches_a_log_line_whichever_way_it_was_sent(
        self, app: FastAPI, account: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="contacthub")
        unknown = new_key()
        for how in ("query", "header", "bearer"):
            with_key(app, account.key, how).get("/v1/tags")
            with_key(app, account.key, how).post("/v1/lists", json={"name": f"via {how}"})
            with_key(app, unknown, how).get("/v1/lists")
        # A key sent by mistake in a path or as a query value of its own.
        with_key(app, account.key, "header").get(f"/v1/contacts/{account.key}")
        with_key(app, account.key, "header").get("/v1/contacts", params={"email": account.key})

        access = [record for record in caplog.records if record.name == "contacthub.access"]
        assert len(access) >= 11, "the access log wrote no line for some requests"
        assert any("/v1/tags" in record.getMessage() for record in access)
        assert any("apiKey=" in record.getMessage() for record in access)
        ours = [record for record in caplog.records if record.name.startswith("contacthub")]
        for record in ours:
            for key in (account.key, unknown):
                assert key not in record.getMessage()
        for key in (account.key, unknown):
            assert key not in caplog.text

    def test_the_log_formatter_redacts_a_key_inside_a_traceback(self, account: Account) -> None:
        formatter = RedactingFormatter("%(levelname)s %(name)s: %(message)s")
        try:
            raise ValueError(f"could not use {account.key} for GET /v1/tags?apiKey={account.key}")
        except ValueError:
            record = logging.LogRecord(
                "contacthub.test",
                logging.ERROR,
                __file__,
                1,
                "failed with %s",
                (account.key,),
                sys.exc_info(),
            )

        line = formatter.format(record)

        assert account.key not in line
        assert "Traceback" in line and "ValueError" in line
        assert "REDACTED" in line
