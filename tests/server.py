"""A real ContactHub server in a child process, for tests that need several processes or a kill."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx2 as httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """``contacthub serve`` on a free port; ``stop()`` or ``kill()`` ends it."""

    database_url: str
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)  # more options of ``serve``, e.g. --no-worker
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        env = {
            **os.environ,
            "CONTACTHUB_DATABASE_URL": self.database_url,
            "CONTACTHUB_RATE_LIMIT": "0",
            "CONTACTHUB_LOG_LEVEL": "warning",
            **self.env,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "contacthub",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                *self.args,
            ],
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become ready in 30 s")

    def stop(self) -> None:
        _stop(self.process)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, like a crash."""
        _kill(self.process)


@dataclass
class WorkerProcess:
    """``contacthub worker`` on a database; ``stop()`` or ``kill()`` ends it."""

    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> "WorkerProcess":
        env = {
            **os.environ,
            "CONTACTHUB_DATABASE_URL": self.database_url,
            "CONTACTHUB_LOG_LEVEL": "warning",
            **self.env,
        }
        self.process = subprocess.Popen([sys.executable, "-m", "contacthub", "worker"], env=env)
        return self

    def stop(self) -> None:
        _stop(self.process)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, like a crash."""
        _kill(self.process)


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if the process is still there after 10 s."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _kill(process: subprocess.Popen[bytes] | None) -> None:
    if process and process.poll() is None:
        process.kill()
        process.wait()
