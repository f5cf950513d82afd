"""Memory of a running server fed 1 MB phone numbers (issue 9, review H1): it must stay bounded.

Starts ``contacthub serve`` on a fresh SQLite file and a free 127.0.0.1 port (``contacthub migrate``,
``accounts create``, ``keys create`` first), then sends N requests whose phone number is a valid
number padded with spaces to 1 MB, each padding different: a ``PUT`` on a contact that does not
exist, the request that once filled the parse cache. It prints the server's resident memory
before and after, and its peak. Only 127.0.0.1 is contacted, one request at a time.

    .venv/bin/python -m bench.memory_phones                  # 10,000 requests
    .venv/bin/python -m bench.memory_phones --requests 200   # e.g. against older code
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

from bench.server import ROOT, contacthub, contacthub_env

NUMBER = "+14155550100"
SIZE = 1_000_000  # characters of the phone number, under the 1 MiB body limit with its field


def _cli(database_url: str, *args: str) -> str:
    """Run a ``contacthub`` command on this database; what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "contacthub", *args],
        cwd=ROOT,
        env={**os.environ, **contacthub_env(database_url)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


def _rss_mib(pid: int) -> float:
    """Resident memory of the process now (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _body(padding: int) -> bytes:
    """A JSON body whose phoneNumber is NUMBER with ``padding`` spaces after its area code."""
    spaces = b" " * padding
    return b'{"phoneNumber": "' + NUMBER[:5].encode() + spaces + NUMBER[5:].encode() + b'"}'


def run(requests: int, time_limit: float) -> None:
    """Serve, measure, send, measure; print the figures."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/contacthub.db"
        _cli(url, "migrate")
        _cli(url, "accounts", "create", "memory")
        key = _cli(url, "keys", "create", "memory")
        with (
            contacthub(url) as server,
            httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as client,
        ):
            for _ in range(20):  # warm up: the first requests load code and fill the pools
                client.put("/v1/contacts/ct_nonexistent", content=_body(100))
            before = _rss_mib(server.pid)
            statuses: dict[int, int] = {}
            started = time.monotonic()
            sent = 0
            size = SIZE - len(NUMBER)
            while sent < requests and time.monotonic() - started < time_limit:
                response = client.put("/v1/contacts/ct_nonexistent", content=_body(size - sent))
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                sent += 1
            elapsed = time.monotonic() - started
            after = _rss_mib(server.pid)
            server.rss.poll()
            print(f"requests sent: {sent:,} in {elapsed:.0f} s, statuses: {statuses}")
            print(f"server RSS before: {before:.0f} MiB, after: {after:.0f} MiB")
            print(f"server peak RSS: {server.rss.peak_mib:.0f} MiB")


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.memory_phones", description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000, help="1 MB requests to send")
    parser.add_argument("--time-limit", type=float, default=600, help="stop sending after (s)")
    args = parser.parse_args()
    run(args.requests, args.time_limit)


if __name__ == "__main__":
    main()
