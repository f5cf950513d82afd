"""Fresh databases for a run (a SQLite file, or a PostgreSQL database created and dropped).

Each is migrated and given an account and a key with the ``contacthub`` command itself.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.server import contacthub_env

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Account:
    """The account a run's requests act as."""

    id: str
    key: str


@contextmanager
def fresh(postgres: bool, directory: Path, name: str) -> Iterator[str]:
    """The URL of a new, empty database; a PostgreSQL one is dropped afterwards."""
    if not postgres:
        yield f"sqlite:///{directory / name}.db"  # the run's temporary directory holds it
        return
    database = f"contacthub_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        try:
            yield make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _contacthub(database_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "contacthub", *args],
        env={**os.environ, **contacthub_env(database_url)},
        stdout=subprocess.PIPE,  # the id or the key; messages go to stderr, left visible
        text=True,
        check=True,
    )
    return result.stdout.strip()


def prepare(database_url: str) -> Account:
    """Migrate the database, then create the account "bench" and a key for it."""
    _contacthub(database_url, "migrate")
    account_id = _contacthub(database_url, "accounts", "create", "bench")
    return Account(id=account_id, key=_contacthub(database_url, "keys", "create", "bench"))


def describe(database_url: str) -> str:
    """The database's kind and version, e.g. "SQLite 3.40.1"."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return f"SQLite {conn.execute(text('select sqlite_version()')).scalar()}"
            return f"PostgreSQL {conn.execute(text('show server_version')).scalar()}"
    finally:
        engine.dispose()
