"""``python -m bench``: ContactHub's endpoints under load on a seeded database, against the floor."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import bulk as bulk_adds
from bench import databases, server, wrk
from bench.bulk import BulkTimes
from bench.cursors import walk
from bench.measure import Measurements, lookup_env
from bench.report import publish
from bench.seed import FIRST_NUMBER, Seeded, seed

LAST_NUMBER = 9_999_999  # +1415 9999999: numbers past the seeded ones, up to here, are for creates
SMALL_CONTACTS = 10_000
CURSOR_PAGES = 200


@dataclass(frozen=True)
class Options:
    """What the command line chose."""

    contacts: int
    messages: int
    seconds: int
    postgres: bool


def run(options: Options) -> None:
    """The floor, every scenario on the large database, the lookup on a small one; publish."""
    wrk.ensure_installed()
    runs = Measurements(options.seconds)
    with tempfile.TemporaryDirectory(prefix="contacthub-bench-") as tmp:
        with databases.fresh(options.postgres, Path(tmp), "main") as url:
            database = databases.describe(url)
            seeded, bulk = _large(runs, url, options, Path(tmp))
        with databases.fresh(options.postgres, Path(tmp), "small") as url:
            _small(runs, url)
    publish(
        f"ContactHub on {database.split()[0]}",
        {
            "Database": database
            + (", a fresh database" if options.postgres else ", a file in a temporary directory"),
            "Data": f"{seeded.contacts:,} contacts and {seeded.messages:,} messages"
            f" ({seeded.hot_messages:,} of them on the hot contact), seeded in"
            f" {seeded.seconds:.1f} s; the last row is on a second database of"
            f" {SMALL_CONTACTS:,} contacts",
            "Bulk list add": bulk.describe()
            if bulk
            else "not measured (fewer than 20,000 contacts)",
        },
        runs,
    )


def _large(
    runs: Measurements, url: str, options: Options, directory: Path
) -> tuple[Seeded, BulkTimes | None]:
    account = databases.prepare(url)
    lookups = lookup_env(account.key, FIRST_NUMBER, options.contacts)
    with server.asgi("bench.floor:app") as floor:
        runs.warm_up(floor, lookups)
        runs.measure("floor: raw ASGI app, constant JSON", floor, "lookup", lookups)
    seeded = seed(url, account.id, options.contacts, options.messages)
    print(
        f"seeded {seeded.contacts:,} contacts and {seeded.messages:,} messages"
        f" in {seeded.seconds:.1f} s",
        flush=True,
    )
    with server.contacthub(url) as api:
        runs.warm_up(api, lookups)
        runs.measure(f"lookup by phone, {options.contacts:,} contacts", api, "lookup", lookups)
        first_free = FIRST_NUMBER + options.contacts
        creates = {
            "BENCH_API_KEY": account.key,
            "BENCH_FIRST_FREE": str(first_free),
            "BENCH_NUMBERS_PER_THREAD": str((LAST_NUMBER - first_free) // wrk.THREADS),
        }
        runs.measure("create contact", api, "create", creates)
        pages = Pages(runs, api, account.key, directory)
        pages.measure(
            f"messages of the hot contact ({seeded.hot_messages:,})",
            f"/v1/contacts/messages/{seeded.hot_contact_id}",
            {},
        )
        pages.measure("search q=Bench", "/v1/contacts/search", {"q": "Bench"})
        bulk = None
        if len(seeded.first_ids) >= 2 * bulk_adds.IDS_PER_CALL:
            bulk = bulk_adds.measure(api.url, account.key, seeded.first_ids)
            print(bulk.describe(), flush=True)
    # Two server processes share the machine's two cores with wrk: see docs/architecture.md.
    with server.contacthub(url, workers=2) as api:
        runs.warm_up(api, lookups)
        runs.measure(
            f"lookup by phone, {options.contacts:,} contacts, 2 server processes",
            api,
            "lookup",
            lookups,
        )
    return seeded, bulk


def _small(runs: Measurements, url: str) -> None:
    account = databases.prepare(url)
    seed(url, account.id, SMALL_CONTACTS, 0)
    lookups = lookup_env(account.key, FIRST_NUMBER, SMALL_CONTACTS)
    with server.contacthub(url) as api:
        runs.warm_up(api, lookups)
        runs.measure(f"lookup by phone, {SMALL_CONTACTS:,} contacts", api, "lookup", lookups)


@dataclass(frozen=True)
class Pages:
    """Paginated endpoints of one server: the first page, then pages from collected cursors."""

    runs: Measurements
    api: server.Server
    key: str
    directory: Path  # where the cursor files go

    def measure(self, name: str, path: str, params: dict[str, str]) -> None:
        """Two scenarios: the first page of 50, and pages of 50 from random cursors."""
        query = "".join(f"{param}={value}&" for param, value in params.items())
        env = {"BENCH_API_KEY": self.key, "BENCH_PATH": f"{path}?{query}limit=50"}
        self.runs.measure(f"{name}, first page of 50", self.api, "pages", env)
        cursors = walk(self.api.url, self.key, path, params, CURSOR_PAGES)
        if not cursors:
            print(f"{name}: a single page, no cursors to start from")
            return
        file = self.directory / f"{len(self.runs.rows)}.cursors"
        file.write_text("\n".join(cursors) + "\n")
        self.runs.measure(
            f"{name}, page of 50 from one of {len(cursors)} cursors",
            self.api,
            "pages",
            {**env, "BENCH_CURSORS": str(file)},
        )
        # One client at a time: a page's own latency, without 31 others queued before it.
        self.runs.measure(
            f"{name}, page of 50 from one of {len(cursors)} cursors, 1 connection",
            self.api,
            "pages",
            {**env, "BENCH_CURSORS": str(file)},
            connections=1,
        )
