"""A server under test: one process (uvicorn, 1 worker) on a free port, stopped whatever happens."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from bench import proc
from bench.proc import PeakRss

ROOT = Path(__file__).resolve().parent.parent
# The flags `contacthub serve` gives uvicorn, for the apps that are not ContactHub.
UVICORN = ["--host", "127.0.0.1", "--workers", "1", "--log-level", "warning"]
UVICORN += ["--no-access-log", "--no-server-header"]


@dataclass(frozen=True)
class Server:
    """A running server: its base URL, its pid and its memory watch."""

    url: str
    pid: int
    rss: PeakRss

    def cpu_seconds(self) -> float:
        """CPU time the server has used since it started."""
        return proc.cpu_seconds(self.pid)


def contacthub_env(database_url: str) -> dict[str, str]:
    """The environment the ContactHub commands run with."""
    return {
        "CONTACTHUB_DATABASE_URL": database_url,
        "CONTACTHUB_RATE_LIMIT": "0",
        "CONTACTHUB_ACCESS_LOG": "false",
        "CONTACTHUB_LOG_LEVEL": "warning",
    }


def contacthub(database_url: str, workers: int = 1) -> AbstractContextManager[Server]:
    """``python -m contacthub serve`` on this database."""
    argv = ["-m", "contacthub", "serve", "--workers", str(workers)]
    return _serve(argv, contacthub_env(database_url))


def asgi(
    target: str, env: dict[str, str] | None = None, *, factory: bool = False
) -> AbstractContextManager[Server]:
    """``python -m uvicorn module:app`` (``module:function`` that makes the app, with ``factory``)."""
    argv = ["-m", "uvicorn", target, *UVICORN, *(["--factory"] if factory else [])]
    return _serve(argv, env or {})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _serve(argv: list[str], env: dict[str, str]) -> Iterator[Server]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, *argv, "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,  # its own process group: Ctrl-C reaches us, and we stop it
    )
    rss = PeakRss(process.pid)
    rss.start()
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_answering(url, process)
        yield Server(url=url, pid=process.pid, rss=rss)
    finally:
        rss.stop()
        _stop(process)


def _wait_until_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            httpx.get(url, timeout=1)  # any HTTP answer means it is serving
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not answer within 60 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, then SIGKILL if it is still there after 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with suppress(subprocess.TimeoutExpired):
            process.wait(10)
