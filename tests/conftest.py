"""A real database for every test, on SQLite and on PostgreSQL, and an HTTP client per account.

Each backend gets one fresh database for the whole run, migrated with Alembic the way production
is (and dropped afterwards). Tests are isolated by account, not by rollback: every test makes its
own accounts, and every query is confined to an account, so tests cannot see each other's rows.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from contacthub.app import create_app
from contacthub.config import Settings
from contacthub.migrations import upgrade
from tests.factories import Account, make_account

POSTGRES_ADMIN_URL = os.environ.get(
    "CONTACTHUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and does not answer: {exc}")
        pytest.skip(f"PostgreSQL does not answer at {POSTGRES_ADMIN_URL}")
    name = f"contacthub_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/contacthub.db"
        upgrade(url)
        yield url
    else:
        for url in _postgres_database():
            upgrade(url)
            yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # No worker inside the app: tests that enter its lifespan stay deterministic; the worker's own
    # tests drive it step by step, and the process tests start one.
    return Settings(database_url=database_url, rate_limit=0, access_log=True, worker=False)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.engine.dispose()
    app.state.driver_connections.close()


@pytest.fixture(scope="session")
def engine(app: FastAPI) -> Engine:
    """The application's own engine, for reading what a request stored."""
    engine: Engine = app.state.engine
    return engine


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    """A client that sends no key."""
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def account(engine: Engine) -> Account:
    """A fresh account with a read-write key."""
    return make_account(engine)


@pytest.fixture
def other_account(engine: Engine) -> Account:
    """A second fresh account, to prove the first cannot see or touch it."""
    return make_account(engine)


@pytest.fixture
def api(app: FastAPI, account: Account) -> TestClient:
    """A client that sends the account's key."""
    return TestClient(app, headers={"X-API-Key": account.key}, raise_server_exceptions=False)


@pytest.fixture
def other_api(app: FastAPI, other_account: Account) -> TestClient:
    """A client of the second account."""
    return TestClient(app, headers={"X-API-Key": other_account.key}, raise_server_exceptions=False)
