"""``python -m bench datalayer``: the phone lookup served five ways, on SQLite, for the architecture doc."""

import tempfile
from pathlib import Path

from bench import databases, server, wrk
from bench.measure import Measurements, lookup_env
from bench.report import publish
from bench.seed import FIRST_NUMBER, seed

APPS = {
    "(b) FastAPI async def, SQLAlchemy Core, sync connection inline": "core_inline",
    "(c) FastAPI def, SQLAlchemy ORM Session per request (thread pool)": "orm_session",
    "(d) FastAPI async def, stdlib sqlite3": "sqlite3_direct",
}


def run(contacts: int, seconds: int) -> None:
    """Seed one SQLite database, then load each way of serving the lookup in turn."""
    wrk.ensure_installed()
    runs = Measurements(seconds)
    with (
        tempfile.TemporaryDirectory(prefix="contacthub-bench-") as tmp,
        databases.fresh(False, Path(tmp), "datalayer") as url,
    ):
        account = databases.prepare(url)
        database = databases.describe(url)
        seeded = seed(url, account.id, contacts, 0)
        print(f"seeded {contacts:,} contacts in {seeded.seconds:.1f} s", flush=True)
        lookups = lookup_env(account.key, FIRST_NUMBER, contacts)
        with server.asgi("bench.floor:app") as floor_server:
            runs.warm_up(floor_server, lookups)
            runs.measure("(a) floor: raw ASGI app, constant JSON", floor_server, "lookup", lookups)
        app_env = {"BENCH_DATABASE_URL": url, "BENCH_ACCOUNT_ID": account.id}
        for scenario, factory in APPS.items():
            target = f"bench.datalayer_apps:{factory}"
            with server.asgi(target, app_env, factory=True) as app:
                runs.warm_up(app, lookups)
                runs.measure(scenario, app, "lookup", lookups)
        with server.contacthub(url) as api:
            runs.warm_up(api, lookups)
            runs.measure("(e) ContactHub, GET /v1/contacts?phoneNumber=", api, "lookup", lookups)
    publish(
        "Data layer: one phone lookup, five ways",
        {
            "Database": f"{database}, a file in a temporary directory, {contacts:,} contacts"
            f" (seeded in {seeded.seconds:.1f} s)",
            "Apps": "(a) bench/floor.py; (b)-(d) bench/datalayer_apps.py, the lookup query and"
            " the row as JSON, nothing else; (e) ContactHub's endpoint: key check, phone"
            " validation, the contact with its tags and lists",
        },
        runs,
    )
