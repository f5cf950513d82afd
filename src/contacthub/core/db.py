"""The database: one engine per process, SQLite or PostgreSQL, and the transaction discipline.

Requests run their queries inline on the event loop with SQLAlchemy Core on a plain Connection
(docs/architecture.md has the measurements behind that). A request takes exactly one transaction
and commits it before its response is sent; services never commit.

SQLite is set up the way datasette does it: WAL, foreign keys on, a busy timeout, and write
transactions opened with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing
when one upgrades from reading to writing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Row, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

_BEGIN = "contacthub_begin"


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for ``url`` with this project's connection settings."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )


def make_autocommit_engine(url: str) -> Engine:
    """An engine whose connections run each statement as its own transaction, for lone reads.

    No pre-ping either (it would cost a round trip per checkout): its one user, the phone lookup
    (contacts/lookup.py), hands a failed query over to the regular route, which has both.
    """
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)  # the driver's own transactions are off there already
    return create_engine(
        url,
        pool_size=2,
        max_overflow=2,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )


def _sqlite_engine(url: str) -> Engine:
    # The driver's own transaction handling is switched off (isolation_level=None) so that the
    # BEGIN we emit is the real one: savepoints then nest properly and writers can BEGIN IMMEDIATE.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.info.pop(_BEGIN, "BEGIN"))

    return engine


def is_sqlite(engine: Engine) -> bool:
    """Whether this is the embedded database."""
    return engine.dialect.name == "sqlite"


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read transaction (deferred on SQLite, so it never waits for writers)."""
    with engine.connect() as conn, conn.begin():
        yield conn


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A write transaction, committed when the block ends and rolled back if it raises."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.info[_BEGIN] = "BEGIN IMMEDIATE"
        with conn.begin():
            yield conn


def insert_ignoring_duplicates(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> int:
    """Insert rows, skipping any that would break a unique key; the number inserted.

    ``INSERT … ON CONFLICT DO NOTHING`` on both databases: the database, not a prior SELECT,
    decides what already exists, so concurrent requests cannot both insert.
    """
    if not rows:
        return 0
    insert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    inserted = 0
    # Stay under SQLite's bound-parameter limit (32,766) whatever the row width.
    batch = max(1, 30_000 // len(rows[0]))
    for start in range(0, len(rows), batch):
        # One multi-row VALUES statement per batch: its rowcount is exact on both drivers
        # (an executemany's is not).
        statement = (
            insert(table)
            .values(rows[start : start + batch])
            .on_conflict_do_nothing()
            .execution_options(preserve_rowcount=True)
        )
        inserted += conn.execute(statement).rowcount
    return inserted


# A result row of any shape (SQLAlchemy 2.1 types rows by their columns).
Record = Row[*tuple[Any, ...]]
