"""Plain functions that make test data through the same code paths as production."""

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.accounts import service as accounts
from contacthub.core import db

_next_number = iter(range(2_000_000, 8_000_000))


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
