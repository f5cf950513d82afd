"""Measuring: warm a server up, load it with wrk, and keep each scenario's row."""

import os
from dataclasses import dataclass, field

from bench import wrk
from bench.server import Server
from bench.wrk import Load

WARM_UP_SECONDS = 3


@dataclass(frozen=True)
class Row:
    """One scenario's figures, with the server's CPU time per request and peak memory."""

    scenario: str
    load: Load
    cpu_ms_per_request: float  # unlike req/s, hardly changed by other work on the machine
    peak_rss_mib: float


@dataclass
class Measurements:
    """The rows of one run, every scenario loaded for ``seconds``."""

    seconds: int
    rows: list[Row] = field(default_factory=list)
    # Other processes busy on the machine make every figure lower: the report says so.
    load_average_at_start: float = field(default_factory=lambda: os.getloadavg()[0])

    def warm_up(self, server: Server, env: dict[str, str]) -> None:
        """A few seconds of lookups, not recorded: caches filled, code paths run once."""
        wrk.run(server.url, "lookup", WARM_UP_SECONDS, env)

    def measure(
        self,
        scenario: str,
        server: Server,
        script: str,
        env: dict[str, str],
        connections: int = wrk.CONNECTIONS,
    ) -> None:
        """Load the server with a script and record the row."""
        cpu_before = server.cpu_seconds()
        load = wrk.run(server.url, script, self.seconds, env, connections)
        cpu_ms = 1000 * (server.cpu_seconds() - cpu_before) / max(load.requests, 1)
        server.rss.poll()
        self.rows.append(Row(scenario, load, cpu_ms, server.rss.peak_mib))
        print(
            f"{scenario}: {load.requests_per_second:,.0f} req/s, p50 {load.p50_ms:.1f} ms,"
            f" p99 {load.p99_ms:.1f} ms, {load.errors} errors, {cpu_ms:.2f} CPU ms per request,"
            f" server RSS {server.rss.peak_mib:.0f} MiB",
            flush=True,
        )

    @property
    def floor(self) -> Load:
        """The floor, which every run measures first."""
        return self.rows[0].load

    @property
    def peak_rss_mib(self) -> float:
        """The largest peak of any server in the run."""
        return max(row.peak_rss_mib for row in self.rows)


def lookup_env(key: str, first_number: int, contacts: int) -> dict[str, str]:
    """What lookup.lua needs: the key and the range of seeded numbers."""
    return {
        "BENCH_API_KEY": key,
        "BENCH_FIRST_NUMBER": str(first_number),
        "BENCH_CONTACTS": str(contacts),
    }
