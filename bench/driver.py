"""``python -m bench.driver``: the key check's statement on PostgreSQL, two ways of keeping the async
connections — ``core.driver.DriverConnections``' free list, and ``psycopg_pool.AsyncConnectionPool``
— each with the same number of connections, the same prepared statement and the same callers.

Prints calls per second and the process's CPU per call for each, one caller and 32 at once (the
bench's wrk connections). The winner is written down in core/driver.py's docstring.
"""

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from bench import databases
from contacthub.accounts.repository import LIVE_KEY
from contacthub.core.driver import DriverConnections, Prepared
from contacthub.core.security import hash_key

Fetch = Callable[[], Awaitable[list[dict[str, Any]]]]


async def _measure(fetch: Fetch, calls: int, callers: int) -> tuple[float, float]:
    """(calls a second, CPU microseconds a call) for ``calls`` calls by ``callers`` tasks."""

    async def caller(count: int) -> None:
        for _ in range(count):
            assert await fetch()

    for _ in range(200):  # warm up: connections open, statement compiled
        await fetch()
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(caller(calls // callers) for _ in range(callers)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = calls // callers * callers
    return done / wall, cpu / done * 1e6


async def _run(url: str, key: str, calls: int, size: int) -> None:
    key_hash = hash_key(key)
    free_list = DriverConnections(url, async_limit=size)
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        conninfo, min_size=size, max_size=size, kwargs={"autocommit": True}, open=False
    )
    await pool.open(wait=True)
    prepared = Prepared(LIVE_KEY, free_list.dialect)

    async def from_free_list() -> list[dict[str, Any]]:
        return await free_list.afetch(LIVE_KEY, key_hash=key_hash)

    async def from_pool() -> list[dict[str, Any]]:
        async with pool.connection() as connection:
            cursor = connection.cursor()
            await cursor.execute(prepared.sql, prepared.bind({"key_hash": key_hash}))
            return prepared.process(await cursor.fetchall())

    try:
        print(f"{calls:,} key checks, {size} connections, PostgreSQL")
        print(f"{'way':<28}{'callers':>8}{'calls/s':>10}{'CPU µs/call':>13}")
        for callers in (1, 32):
            for name, fetch in (
                ("free list (core/driver.py)", from_free_list),
                ("psycopg_pool", from_pool),
            ):
                rate, cpu = await _measure(fetch, calls, callers)
                print(f"{name:<28}{callers:>8}{rate:>10,.0f}{cpu:>13.1f}")
    finally:
        await pool.close()
        free_list.close()


def main() -> None:
    """Make a PostgreSQL database with a key, measure both ways, drop the database."""
    parser = argparse.ArgumentParser(prog="python -m bench.driver", description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000, help="key checks per way")
    parser.add_argument("--connections", type=int, default=5, help="async connections")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        databases.fresh(True, Path(tmp), "driver") as url,
    ):
        account = databases.prepare(url)
        asyncio.run(_run(url, account.key, args.calls, args.connections))


if __name__ == "__main__":
    main()
