"""The phone lookup written three simpler ways, for ``python -m bench datalayer``.

Each app serves ``GET /v1/contacts?phoneNumber=`` for the account BENCH_ACCOUNT_ID on the SQLite
database BENCH_DATABASE_URL, and answers the contact's columns as JSON (orjson, as ContactHub).
No auth, no validation, no tags or lists: only the data layer differs between them.
"""

import os
import sqlite3
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import FastAPI, Query
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from contacthub.core.db import make_engine
from contacthub.core.responses import JSON
from contacthub.models import Contact

PhoneNumber = Annotated[str, Query(alias="phoneNumber")]
contacts = Contact.__table__


def _found(contact: Mapping[Any, Any] | None) -> JSON:
    if contact is None:
        return JSON({"success": False, "error": "not_found"}, status_code=404)
    return JSON({"success": True, "contactId": contact["id"], "contact": dict(contact)})


def core_inline() -> FastAPI:
    """``async def``: SQLAlchemy Core on a connection of the (sync) engine, on the event loop."""
    engine = make_engine(os.environ["BENCH_DATABASE_URL"])
    account_id = os.environ["BENCH_ACCOUNT_ID"]
    app = FastAPI()

    @app.get("/v1/contacts")
    async def find(phone_number: PhoneNumber) -> JSON:
        with engine.connect() as conn:
            row = conn.execute(
                select(contacts).where(
                    contacts.c.account_id == account_id, contacts.c.phone_number == phone_number
                )
            ).first()
        return _found(None if row is None else row._mapping)

    return app


def orm_session() -> FastAPI:
    """Plain ``def`` (so FastAPI runs it in its thread pool): an ORM Session per request."""
    engine = make_engine(os.environ["BENCH_DATABASE_URL"])
    account_id = os.environ["BENCH_ACCOUNT_ID"]
    attributes = [attribute.key for attribute in inspect(Contact).column_attrs]
    app = FastAPI()

    @app.get("/v1/contacts")
    def find(phone_number: PhoneNumber) -> JSON:
        with Session(engine) as session:
            contact = session.scalars(
                select(Contact).where(
                    Contact.account_id == account_id, Contact.phone_number == phone_number
                )
            ).first()
            return _found(
                None if contact is None else {key: getattr(contact, key) for key in attributes}
            )

    return app


def sqlite3_direct() -> FastAPI:
    """``async def``: the stdlib sqlite3 module, one connection, on the event loop."""
    path = make_url(os.environ["BENCH_DATABASE_URL"]).database
    assert path, "BENCH_DATABASE_URL names no SQLite file"
    account_id = os.environ["BENCH_ACCOUNT_ID"]
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    app = FastAPI()

    @app.get("/v1/contacts")
    async def find(phone_number: PhoneNumber) -> JSON:
        row = conn.execute(
            "SELECT * FROM contacts WHERE account_id = ? AND phone_number = ?",
            (account_id, phone_number),
        ).fetchone()
        return _found(None if row is None else dict(row))

    return app
