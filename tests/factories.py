"""The test support module: plain functions that make test data through the same code paths as
production, and the helpers every feature's tests share (row counts, page walks, tag listings, the
error envelope). A helper lives here once; a test file keeps only what is its own."""

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from contacthub.accounts import service as accounts
from contacthub.core import db
from contacthub.core.clock import utcnow
from contacthub.core.ids import new_id
from contacthub.models import Base, Contact

_next_number = iter(range(2_000_000, 8_000_000))

UNKNOWN_CONTACT = "ct_01JD0000000000000000000000"  # well formed, never stored
CONTACT_NOT_FOUND = {"success": False, "error": "not_found", "message": "Contact not found"}

ERROR_KEYS = {"success", "error", "message"}  # every error envelope has these
OPTIONAL_ERROR_KEYS = {"details", "contactId", "error_code"}  # and may have these, nothing else


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    key: str


def make_account(engine: Engine, *, read_only: bool = False) -> Account:
    """A new account with one key."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    with db.write(engine) as conn:
        account_id = accounts.create_account(conn, name)
        _, key = accounts.create_key(conn, account_id, read_only=read_only)
    return Account(id=account_id, name=name, key=key)


def phone() -> str:
    """A valid US number, different on each call in this run."""
    return f"+1415{next(_next_number)}"


def create_contact(api: TestClient, **fields: Any) -> str:
    """Create a contact through the API; its id."""
    body = {"phoneNumber": phone(), **fields}
    response = api.post("/v1/contacts", json=body)
    assert response.status_code == 200, response.text
    contact_id: str = response.json()["data"]["contactId"]
    return contact_id


def insert_contacts(engine: Engine, account_id: str, count: int) -> list[str]:
    """Store ``count`` contacts straight into the table (thousands of HTTP calls would be too
    slow), each with its own phone; their ids in creation order."""
    now = utcnow()
    rows = [
        {
            "account_id": account_id,
            "id": new_id("contact"),
            "phone_number": phone(),
            "first_name": "Bulk",
            "last_name": f"N{n}",
            "full_name_key": f"bulk n{n}",
            "last_name_key": f"n{n}",
            "is_bot_active": True,
            "do_not_disturb": False,
            "custom_fields": {},
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    with engine.begin() as conn:
        for start in range(0, count, 1_000):
            conn.execute(insert(Contact), rows[start : start + 1_000])
    return sorted(str(row["id"]) for row in rows)


def get_contact(api: TestClient, contact_id: str) -> dict[str, Any]:
    """A contact as the API shows it."""
    response = api.get(f"/v1/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    contact: dict[str, Any] = response.json()["data"]
    return contact


def create_list(api: TestClient, name: str | None = None, **fields: Any) -> str:
    """Create a list through the API; its id."""
    response = api.post(
        "/v1/lists", json={"name": name or f"list-{uuid.uuid4().hex[:8]}", **fields}
    )
    assert response.status_code == 201, response.text
    list_id: str = response.json()["data"]["id"]
    return list_id


def post_message(api: TestClient, contact_id: str, **fields: Any) -> httpx.Response:
    """The response to recording a message (an inbound text unless the fields say otherwise)."""
    return api.post(
        f"/v1/contacts/messages/{contact_id}",
        json={"direction": "inbound", "body": "hello", **fields},
    )


def record_message(api: TestClient, contact_id: str, **fields: Any) -> dict[str, Any]:
    """Record a message; the message as the API answered it."""
    response = post_message(api, contact_id, **fields)
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()["data"]
    return message


def count_rows(engine: Engine, model: type[Base], account_id: str, **where: Any) -> int:
    """How many rows of ``model`` the account holds, optionally only those whose columns equal
    the given values (``contact_id=...``)."""
    columns = model.__table__.c
    query = select(func.count()).select_from(model).where(columns["account_id"] == account_id)
    for column, value in where.items():
        query = query.where(columns[column] == value)
    with engine.connect() as conn:
        return conn.scalar(query) or 0


def walk(api: TestClient, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a collection, following nextCursor until it is null."""
    pages: list[list[dict[str, Any]]] = []
    while True:
        response = api.get(path, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"success", "data", "nextCursor"}
        assert body["success"] is True
        pages.append(body["data"])
        if body["nextCursor"] is None:
            return pages
        assert len(pages) < 1000, "nextCursor never ends"
        params = {**params, "cursor": body["nextCursor"]}


def account_tags(api: TestClient) -> list[dict[str, Any]]:
    """The account's tags as GET /v1/tags shows them."""
    response = api.get("/v1/tags")
    assert response.status_code == 200, response.text
    tags: list[dict[str, Any]] = response.json()
    return tags


def contact_tags(api: TestClient, contact_id: str) -> list[dict[str, Any]]:
    """The contact's tags as GET /v1/contacts/tags/{id} shows them."""
    response = api.get(f"/v1/contacts/tags/{contact_id}")
    assert response.status_code == 200, response.text
    tags: list[dict[str, Any]] = response.json()
    return tags


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The answer has this status, exactly the contract's error envelope and, when given, this
    machine code; the envelope, for further checks."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body: dict[str, Any] = response.json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | OPTIONAL_ERROR_KEYS, body
    assert body["success"] is False
    assert re.fullmatch(r"[a-z][a-z_]*", body["error"]), body["error"]
    if code is not None:
        assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"].strip()
    if "details" in body:
        assert isinstance(body["details"], list) and body["details"]
        for detail in body["details"]:
            assert set(detail) == {"field", "message"}
            assert isinstance(detail["field"], str) and isinstance(detail["message"], str)
    if "contactId" in body:
        assert isinstance(body["contactId"], str) and body["contactId"].startswith("ct_")
    if "error_code" in body:  # the original's clients read it on contact_exists, and only there
        assert body["error"] == "contact_exists" and body["error_code"] == 409, body
    assert "Traceback" not in response.text
    return body


def assert_invalid(response: httpx.Response, field: str) -> None:
    """The answer is the contract's 400 and names this field among its details."""
    body = assert_error(response, 400)
    assert field in [detail["field"] for detail in body["details"]], body
