"""Personal data stays out of logs and off the disk once erased (review L12), on both databases.

SQLAlchemy writes a statement's parameters (phone numbers, names) into the text of its errors,
which the error log prints with the traceback: the engines hide them. SQLite keeps erased rows in
free pages until they are overwritten: its connections run with ``secure_delete`` on.
"""

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from contacthub.app import create_app
from contacthub.config import Settings
from contacthub.core import db
from contacthub.migrations import upgrade
from tests.factories import create_contact, make_account, phone

REFUSED_NAME = "Refused-by-trigger"


@pytest.fixture
def refusing_trigger(engine: Engine) -> Iterator[None]:
    """A trigger that makes the database fail an insert of a contact named REFUSED_NAME."""
    with engine.begin() as conn:
        if db.is_sqlite(engine):
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_contact BEFORE INSERT ON contacts "
                f"WHEN NEW.first_name = '{REFUSED_NAME}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_contact() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_contact BEFORE INSERT ON contacts FOR EACH ROW "
                f"WHEN (NEW.first_name = '{REFUSED_NAME}') EXECUTE FUNCTION refuse_contact()"
            )
    yield
    with engine.begin() as conn:
        if db.is_sqlite(engine):
            conn.exec_driver_sql("DROP TRIGGER refuse_contact")
        else:
            conn.exec_driver_sql("DROP TRIGGER refuse_contact ON contacts")
            conn.exec_driver_sql("DROP FUNCTION refuse_contact()")


@pytest.mark.usefixtures("refusing_trigger")
def test_a_database_failure_logs_no_personal_data(
    api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    number = phone()
    email = f"ada.{uuid.uuid4().hex[:8]}@example.com"
    body = {
        "phoneNumber": number,
        "firstName": REFUSED_NAME,
        "lastName": "Lovelace-Secret",
        "email": email,
    }

    with caplog.at_level(logging.ERROR):
        response = api.post("/v1/contacts", json=body)

    assert response.status_code == 500
    assert "refused by the test trigger" in caplog.text  # the failure itself is logged
    assert "SQL parameters hidden" in caplog.text
    for personal in (number, number[1:], email, "Lovelace-Secret"):
        assert personal not in caplog.text


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[FastAPI]:
    """An app on a fresh SQLite file whose connections start with ``secure_delete`` off.

    This machine's SQLite, like Debian's, is built with secure delete on by default; many builds
    (python.org's, Alpine's, macOS's) are not. A first connect hook that turns it off stands for
    those, so the app's own setting is what the tests see.
    """
    url = f"sqlite:///{tmp_path}/contacthub.db"
    upgrade(url)
    app = create_app(Settings(database_url=url, rate_limit=0, worker=False))
    for engine in (app.state.engine, app.state.driver_connections.engine):
        event.listen(engine, "connect", _secure_delete_off, insert=True)
    yield app
    app.state.engine.dispose()
    app.state.driver_connections.close()


def _secure_delete_off(dbapi_conn: Any, record: Any) -> None:
    dbapi_conn.execute("PRAGMA secure_delete=OFF")


def test_sqlite_connections_run_with_secure_delete(sqlite_app: FastAPI) -> None:
    with sqlite_app.state.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    raw = sqlite_app.state.driver_connections.engine.raw_connection()
    try:
        assert raw.cursor().execute("PRAGMA secure_delete").fetchone()[0] == 1
    finally:
        raw.close()


def test_an_erased_contact_leaves_no_trace_in_the_sqlite_file(sqlite_app: FastAPI) -> None:
    engine = sqlite_app.state.engine
    account = make_account(engine)
    api = TestClient(sqlite_app, headers={"X-API-Key": account.key})
    marker = f"Erased{uuid.uuid4().hex}"
    contact_id = create_contact(api, firstName=marker, customFields={"note": marker})
    assert api.delete(f"/v1/contacts/{contact_id}").status_code == 200

    with engine.connect() as conn:
        busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    assert busy is not None and busy[0] == 0  # the WAL was folded into the file and emptied
    path = Path(engine.url.database)
    stored = path.read_bytes() + Path(f"{path}-wal").read_bytes()
    assert marker.encode() not in stored
