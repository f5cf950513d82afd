"""Driver connections: reads that skip SQLAlchemy's execution layer, for the key check and the
phone lookup (docs/architecture.md, "The data layer" and "The hot path").

The contract:

- ``DriverConnections(url)`` holds autocommit connections of the database's own driver (sqlite3,
  psycopg). Each statement it runs sees the latest committed state and holds no lock afterwards,
  so these reads never take part in a request's transaction (``core/db.py``).
- ``fetch``/``afetch`` run a module-level SELECT (built once; the statement object is the cache
  key, so build it once and keep it) compiled once per dialect (``Prepared``), and return its rows
  as dicts, each value passed through SQLAlchemy's own result processor for its column: values are
  exactly what a SQLAlchemy query of the same statement reads.
- On SQLite ``afetch`` is ``fetch``: the query is in-process and takes microseconds. On PostgreSQL
  ``afetch`` awaits psycopg's async connection, so the event loop serves other requests during the
  round trip; up to ``async_limit`` such connections per process, beyond which a request waits on a
  blocking one instead (the limit is the back pressure).
- A failure raises one of ``errors`` and drops the connection it happened on; callers fall back to
  SQLAlchemy (the key check) or to the regular route (the phone lookup).
- ``close()`` closes every connection; the app's lifespan calls it at shutdown. It is synchronous
  (libpq's close is immediate), so a test fixture can call it too.

Connections wait in free lists: taking and giving one back is a list pop and append. Measured
against ``psycopg_pool.AsyncConnectionPool`` (3.3.3) for PostgreSQL's async connections with
``python -m bench.driver`` (20,000 key checks, 5 connections, local PostgreSQL 15 on the shared
2-core machine, two runs on 2026-12-01 while other work ran):

    way            callers   calls/s        CPU µs/call
    free list            1   4,236 / 2,127   96 / 185
    psycopg_pool         1   4,256 / 2,481  109 / 177
    free list           32  10,507 / 7,245   45 / 56
    psycopg_pool        32   3,606 / 2,527  175 / 187

Alone, the two are the same within the noise; under 32 concurrent callers (the bench's wrk
connections) the pool's waiting queue costs three to four times the CPU per call, while the free
list hands the callers beyond ``async_limit`` a blocking connection. The free list stays;
psycopg_pool is a dev dependency only, for that script.
"""

from typing import Any

import psycopg
from sqlalchemy import CompoundSelect, Dialect, Select, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from contacthub.core.db import sqlite_engine

# A SELECT of any shape.
Selectable = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]


class DriverConnections:
    """Autocommit driver connections in free lists, running prepared SELECTs (see the module)."""

    def __init__(self, url: str, *, async_limit: int = 5) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            self.engine = sqlite_engine(url)  # the driver's own transactions are off there already
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
        self._async_idle: list[psycopg.AsyncConnection[Any]] = []
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
        else:
            return self.fetch(statement, **params)
        prepared = self._prepare(statement)
        try:
            cursor = connection.cursor()
            await cursor.execute(prepared.sql, prepared.bind(params))
            rows = prepared.process(await cursor.fetchall())
        except BaseException:
            self._async_open -= 1
            connection.pgconn.finish()
            raise
        self._async_idle.append(connection)
        return rows

    def close(self) -> None:
        """Close every connection (the app's shutdown)."""
        while self._idle:
            self._idle.pop().close()
        while self._async_idle:
            # libpq's close is immediate: no need to await AsyncConnection.close(). (Held in a
            # name: a bare pop().pgconn would let the connection be collected, open, first.)
            connection = self._async_idle.pop()
            connection.pgconn.finish()
        self._async_open = 0
        self.engine.dispose()


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
        """Driver rows as dicts of column values (NULL is None whatever the column's type)."""
        return [
            {
                name: value if value is None or process is None else process(value)
                for name, process, value in zip(self.names, self.processors, raw, strict=True)
            }
            for raw in rows
        ]
