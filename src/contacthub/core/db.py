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
"""

import atexit
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import (
    CompoundSelect,
    Connection,
    Dialect,
    Engine,
    Row,
    Select,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

_BEGIN = "contacthub_begin"

# A SELECT of any shape.
Selectable = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]


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
        hide_parameters=True,
    )


def _sqlite_engine(url: str) -> Engine:
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


class DriverConnections:
    """Driver connections in autocommit mode, for reads that skip SQLAlchemy's layers.

    Used by the key check and the phone lookup: one statement, compiled once per dialect
    (``Prepared``), run on the driver's cursor. Connections wait in free lists, so taking and
    giving one back is a list pop and append, not a pool checkout with its reset and bookkeeping.

    On SQLite, ``fetch`` runs in the calling thread: the query is in-process and takes
    microseconds. On PostgreSQL, ``afetch`` awaits psycopg's async connection, so the event loop
    serves other requests during the round trip; up to ``async_limit`` such connections per
    process, beyond which a request waits on a blocking one instead (the limit is the back
    pressure). A connection that fails is dropped; the callers then fall back to SQLAlchemy.
    """

    def __init__(self, url: str, *, async_limit: int = 5) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            self.engine = _sqlite_engine(url)  # the driver's own transactions are off there already
            self._conninfo: str | None = None
        else:
            self.engine = create_engine(
                url,
                pool_size=1,
                max_overflow=8,
                isolation_level="AUTOCOMMIT",
                connect_args={"connect_timeout": 5},
            )
            self._conninfo = parsed.set(drivername="postgresql").render_as_string(
                hide_password=False
            )
        self.dialect = self.engine.dialect
        self.errors: tuple[type[Exception], ...] = (DBAPIError, self.dialect.loaded_dbapi.Error)
        self._idle: list[Any] = []
        self._async_idle: list[Any] = []
        self._async_open = 0
        self._async_limit = async_limit
        self._prepared: dict[int, tuple[Selectable, Prepared]] = {}

    def _prepare(self, statement: Selectable) -> "Prepared":
        entry = self._prepared.get(id(statement))
        if entry is None or entry[0] is not statement:
            entry = self._prepared[id(statement)] = (statement, Prepared(statement, self.dialect))
        return entry[1]

    def fetch(self, statement: Selectable, **params: Any) -> list[dict[str, Any]]:
        """The rows of a module-level SELECT, each a dict of its columns' values.

        Raises one of ``errors`` if the database fails; the connection is then dropped.
        """
        prepared = self._prepare(statement)
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(prepared.sql, prepared.bind(params))
            rows = prepared.process(cursor.fetchall())
        except BaseException:
            connection.invalidate()
            raise
        self._idle.append(connection)
        return rows

    async def afetch(self, statement: Selectable, **params: Any) -> list[dict[str, Any]]:
        """``fetch`` without blocking the event loop on PostgreSQL's round trip."""
        if self._conninfo is None:
            return self.fetch(statement, **params)
        if self._async_idle:
            connection = self._async_idle.pop()
        elif self._async_open < self._async_limit:
            self._async_open += 1
            try:
                connection = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, connect_timeout=5
                )
            except BaseException:
                self._async_open -= 1
                raise
            _OPEN_ASYNC.add(connection)
        else:
            return self.fetch(statement, **params)
        prepared = self._prepare(statement)
        try:
            cursor = connection.cursor()
            await cursor.execute(prepared.sql, prepared.bind(params))
            rows = prepared.process(await cursor.fetchall())
        except BaseException:
            self._async_open -= 1
            _finish(connection)
            raise
        self._async_idle.append(connection)
        return rows

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
        self._finish_async()
        self.engine.dispose()

    def _finish_async(self) -> None:
        while self._async_idle:
            _finish(self._async_idle.pop())
        self._async_open = 0

    def __del__(self) -> None:
        self._finish_async()  # an app dropped without its shutdown (tests make many)


# Every open async connection, until it is finished: so that none is ever collected while open
# (psycopg warns about that), whatever order the garbage collector finalizes an app's objects in.
_OPEN_ASYNC: set[Any] = set()


def _finish(connection: Any) -> None:
    """Close an async connection without awaiting (libpq's close is immediate)."""
    connection.pgconn.finish()
    _OPEN_ASYNC.discard(connection)


@atexit.register
def _finish_all() -> None:
    for connection in list(_OPEN_ASYNC):
        _finish(connection)


class Prepared:
    """A SELECT compiled once for one dialect, run on a driver cursor.

    Rows come back through SQLAlchemy's own per-column result processors (JSON, booleans and
    datetimes on SQLite, UTC on both), so values are exactly what a SQLAlchemy query reads.
    """

    def __init__(self, statement: Selectable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order = compiled.positiontup if compiled.positional else None
        self.names = [str(column.key) for column in statement.selected_columns]
        self.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def bind(self, params: dict[str, Any]) -> Any:
        """The parameters as the driver takes them: by name, or in order."""
        return params if self.order is None else [params[name] for name in self.order]

    def process(self, rows: list[Any]) -> list[dict[str, Any]]:
        """Driver rows as dicts of column values."""
        return [
            {
                name: value if process is None else process(value)
                for name, process, value in zip(self.names, self.processors, raw, strict=True)
            }
            for raw in rows
        ]


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
