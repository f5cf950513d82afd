"""The results: a table on stdout and a dated section appended to bench/RESULTS.md."""

import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import wrk
from bench.measure import WARM_UP_SECONDS, Measurements, Row
from bench.wrk import Load

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = """\
# Benchmark results

Each run of `make bench` (`python -m bench`, see `python -m bench --help`) or
`make bench BENCH_ARGS=datalayer` appends a section below: the machine, the command, the data and
one row per scenario.

- Every scenario is a script in `bench/lua/` run by wrk against one server process: a lookup by a
  random seeded phone number, a create with a new number, a page of 50 of the hot contact's
  messages, a page of 50 search results for `q=Bench` (each from the first page and from random
  cursors collected beforehand), and the lookup again on a database of 10,000 contacts.
- **Floor**: `bench/floor.py`, a raw ASGI app answering constant JSON under the same uvicorn
  settings, loaded with the lookup requests. "% of floor" is a scenario's throughput as a share of
  the floor's in the same run: the part of the server's capacity that is left to the application.
- p50 and p99 come from wrk's latency histogram; errors are non-2xx answers, timeouts and socket
  errors. Server CPU ms/req is the CPU time the server process used during the scenario divided by
  the requests answered: the server's own cost, which other work on the machine disturbs less
  than req/s and latencies (though busy neighbours still inflate it). Peak RSS is the server's
  VmHWM (its children included) since it started.
- The data layer run serves one lookup five ways on SQLite; `bench/datalayer_apps.py` has them.
- `python -m bench events [--postgres]` (`bench/events.py`) appends an "Events" section: commit →
  first delivery attempt through the API with the server's own worker, one worker's deliveries per
  second to a loopback receiver, and a walk of 1,000,000 seeded events through `GET /v1/events`.
  `python -m bench.outbox` (not appended: its figures are quoted in docs/architecture.md) measures
  the outbox's cost on creates.
"""


def table(rows: list[Row], floor: Load) -> str:
    """A Markdown table; throughput is also given as a share of the floor's."""
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | % of floor | errors | server CPU ms/req"
        " | server peak RSS MiB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        load = row.load
        share = 100 * load.requests_per_second / floor.requests_per_second
        lines.append(
            f"| {row.scenario} | {load.requests_per_second:,.0f} | {load.p50_ms:.1f}"
            f" | {load.p99_ms:.1f} | {share:.1f} % | {load.errors:,}"
            f" | {row.cpu_ms_per_request:.2f} | {row.peak_rss_mib:.0f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """nproc, CPU model, RAM, kernel and Python, on one line."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem_kib / 1024**2:.1f} GiB RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}"
    )


def publish(title: str, facts: dict[str, str], runs: Measurements) -> None:
    """Print the table, and append it with the run's facts to RESULTS.md."""
    body = table(runs.rows, runs.floor)
    print(f"\n{body}\n")
    facts = {
        "Command": f"`{shlex.join(['python', '-m', 'bench', *sys.argv[1:]])}`",
        "Machine": machine(),
        "Load average (1 min)": f"{runs.load_average_at_start:.2f} at the start,"
        f" {os.getloadavg()[0]:.2f} at the end (other work on the machine lowers every figure)",
        **facts,
        "Load": f"{wrk.version()}, {wrk.THREADS} threads, {wrk.CONNECTIONS} connections (unless"
        f" a row says otherwise), {runs.seconds} s per scenario, each server first warmed with"
        f" {WARM_UP_SECONDS} s of lookups; one server process at a time (uvicorn, 1 worker,"
        " unless a row says otherwise)",
        "Peak server RSS": f"{runs.peak_rss_mib:.0f} MiB",
    }
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = [f"\n## {title}, {when}\n"]
    section += [f"- **{name}**: {value}" for name, value in facts.items()]
    section += ["", body, ""]
    if not RESULTS.exists():
        RESULTS.write_text(HEADER)
    with RESULTS.open("a") as results:
        results.write("\n".join(section))
    print(f"appended to {RESULTS}")
