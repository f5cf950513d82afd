"""wrk, the load generator: installed from Debian when missing, driven by the scripts in lua/."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"
THREADS = 2
CONNECTIONS = 32


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers, timeouts and socket errors


def ensure_installed() -> None:
    """``apt-get install -y wrk`` (after ``apt-get update`` if the first try fails)."""
    if shutil.which("wrk"):
        return
    print("wrk is missing: installing it with apt-get", file=sys.stderr)
    if subprocess.run(["apt-get", "install", "-y", "wrk"]).returncode != 0:
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)


def version() -> str:
    """wrk's version line."""
    result = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return result.stdout.split(" Copyright")[0].strip()


def run(
    url: str, script: str, seconds: int, env: dict[str, str], connections: int = CONNECTIONS
) -> Load:
    """Load ``url`` with ``lua/<script>.lua`` for ``seconds``; the script's done() reports."""
    threads = min(THREADS, connections)
    options = [f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    result = subprocess.run(
        ["wrk", *options, "-s", f"{script}.lua", url],
        cwd=LUA,  # so the scripts find common.lua with require
        env={**os.environ, **env},
        stdout=subprocess.PIPE,  # wrk's own errors go to stderr, left visible
        text=True,
        check=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH "):
            report = json.loads(line.removeprefix("BENCH "))
            return Load(
                requests=report["requests"],
                requests_per_second=report["requests"] / report["seconds"],
                p50_ms=report["p50_us"] / 1000,
                p99_ms=report["p99_us"] / 1000,
                errors=report["errors"],
            )
    raise RuntimeError(f"wrk printed no report:\n{result.stdout}")
