"""What the outbox costs a create: contacts created by N threads, with and without its events.

``python -m bench.outbox [DATABASE_URL] [--threads 8] [--seconds 5] [--accounts 1]`` creates
contacts (writer n in account n mod ``--accounts``) through
the contacts service in write transactions (no HTTP: the difference is the database work), first
with the outbox as it is, then with its recording switched off, alternating twice, and prints
creates per second. Against a scratch database: it migrates it and makes an account.
"""

import argparse
import itertools
import threading
import time
from typing import Any

from contacthub.accounts import service as accounts
from contacthub.contacts import service as contacts
from contacthub.contacts.schemas import ContactCreate
from contacthub.core import db
from contacthub.events import outbox
from contacthub.migrations import upgrade

_numbers = itertools.count(2_000_000)
_numbers_lock = threading.Lock()


def _number() -> str:
    with _numbers_lock:
        return f"+1628{next(_numbers)}"


def _run(engine: Any, account_ids: list[str], threads: int, seconds: float) -> float:
    """Creates per second over ``seconds`` with ``threads`` writers."""
    done = [0] * threads
    stop = time.monotonic() + seconds

    def writer(n: int) -> None:
        account_id = account_ids[n % len(account_ids)]
        while time.monotonic() < stop:
            body = ContactCreate.model_validate({"phoneNumber": _number(), "tags": []})
            with db.write(engine) as conn:
                contacts.create_contact(conn, account_id, body)
            done[n] += 1

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / seconds


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "url", nargs="?", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_outbox"
    )
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--accounts", type=int, default=1, help="writers spread over this many")
    args = parser.parse_args()
    upgrade(args.url)
    engine = db.make_engine(args.url, pool_size=args.threads)
    with db.write(engine) as conn:
        account_ids = [
            accounts.create_account(conn, f"bench-{time.time_ns()}-{n}")
            for n in range(args.accounts)
        ]
    record, record_many = outbox.record, outbox.record_many
    results: dict[str, list[float]] = {"with events": [], "without": []}
    for _ in range(2):
        results["with events"].append(_run(engine, account_ids, args.threads, args.seconds))
        outbox.record = lambda *a, **k: None
        outbox.record_many = lambda *a, **k: None
        results["without"].append(_run(engine, account_ids, args.threads, args.seconds))
        outbox.record, outbox.record_many = record, record_many
    for name, rates in results.items():
        print(
            f"{name}: {', '.join(f'{r:,.0f}' for r in rates)} creates/s ({args.threads} threads, {args.accounts} accounts)"
        )
    ratio = sum(results["with events"]) / sum(results["without"])
    print(f"with / without: {ratio:.1%}")


if __name__ == "__main__":
    main()
