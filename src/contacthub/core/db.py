"""The database: one engine per process, SQLite or PostgreSQL, and the transaction discipline.

Requests run their queries inline on the event loop with SQLAlchemy Core on a plain Connection
(docs/architecture.md has the measurements behind that). A request takes exactly one transaction
and commits it before its response is sent; services never commit.

SQLite is set up the way datasette does it: WAL, foreign keys on, a busy timeout, and write
transactions opened with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing
when one upgrades from reading to writing. It also runs with ``secure_delete``, so what is erased
is overwritten in the file rather than left in free pages.

Engines hide SQL parameters from their errors: those are phone numbers and names, and errors are
logged.

**No ``await`` inside a transaction.** Connections here are sync and run on the event loop. From
a transaction's first statement to its commit, the code holds SQLite's write lock (``BEGIN
IMMEDIATE``) or PostgreSQL row locks (``SELECT … FOR UPDATE``); an ``await`` in between would let
the loop run another request, which then waits for that lock *on the loop itself*: on SQLite the
whole process stalls for the 30 s busy timeout, on PostgreSQL until the lock times out. So between
``read()``/``write()`` (or a ``ReadConn``/``WriteConn`` dependency, ``core/deps.py``) and the end
of its block, code only calls plain functions. ``tests/core/test_transactions.py`` enforces it:
an ``await`` inside a ``with read(…)``/``with write(…)`` block, or in an ``async def`` that takes
a ``ReadConn``/``WriteConn``, fails the suite. Awaiting work belongs before the transaction opens
or after it commits (the idempotency layer and the key check do exactly that).

The driver connections of the key check and the phone lookup (autocommit, no transaction) are in
``core/driver.py``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, Row, create_engine, event, inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

_BEGIN = "contacthub_begin"


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for ``url`` with this project's connection settings."""
    if make_url(url).get_backend_name() == "sqlite":
        return sqlite_engine(url)
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
        hide_parameters=True,
    )


def sqlite_engine(url: str) -> Engine:
    """A SQLite engine: WAL, foreign keys on, a busy timeout, our own BEGIN (see the module)."""
    # The driver's own transaction handling is switched off (isolation_level=None) so that the
    # BEGIN we emit is the real one: savepoints then nest properly and writers can BEGIN IMMEDIATE.
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            "secure_delete=ON",
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


# conn.info keys of one write transaction: who makes it (an API key id, or None for the CLI) and
# what must run right before its commit (the outbox's flush, events/outbox.py), by name.
ACTOR = "contacthub_actor"
BEFORE_COMMIT = "contacthub_before_commit"


@contextmanager
def write(engine: Engine, *, actor: str | None = None) -> Iterator[Connection]:
    """A write transaction, committed when the block ends and rolled back if it raises.

    ``actor`` (the API key's id) is kept in ``conn.info`` for the events the transaction writes.
    The ``BEFORE_COMMIT`` callables run last, inside the transaction: what they lock is held for
    the shortest time, and after every other lock the transaction takes.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.info[_BEGIN] = "BEGIN IMMEDIATE"
        # conn.info outlives the checkout (it is the pooled connection's): set and cleared here.
        conn.info[ACTOR] = actor
        try:
            with conn.begin():
                yield conn
                for hook in conn.info.pop(BEFORE_COMMIT, {}).values():
                    hook(conn)
        finally:
            conn.info.pop(BEFORE_COMMIT, None)
            conn.info.pop(ACTOR, None)


@lru_cache(maxsize=64)
def _insert_ignoring(dialect: str, model: Any) -> tuple[Any, dict[str, str]]:
    """The statement for one row of ``model``, and its attribute → column names."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = (
        insert(model.__table__).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    )
    return statement, {attr.key: attr.columns[0].key for attr in inspect(model).column_attrs}


def insert_ignoring_duplicates(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> int:
    """Insert rows, skipping any that would break a unique key; the number inserted.

    ``INSERT … ON CONFLICT DO NOTHING`` on both databases: the database, not a prior SELECT,
    decides what already exists, so concurrent requests cannot both insert.
    """
    if not rows:
        return 0
    if len(rows) == 1:
        # One row, as parameters of a statement built and compiled once: a VALUES clause holding
        # the values is compiled anew on every call, which made a single create 40% dearer.
        statement, columns = _insert_ignoring(conn.dialect.name, table)
        row = {columns[name]: value for name, value in rows[0].items()}
        return int(conn.execute(statement, row).rowcount)
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


def chunks(ids: list[str], size: int = 10_000) -> Iterator[list[str]]:
    """``ids`` in slices small enough for one ``IN (…)`` on either database."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
