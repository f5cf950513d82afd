"""Readings of a process and its children from /proc: CPU time used, and peak resident memory."""

import os
import threading
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat(path: Path) -> list[str]:
    """/proc/<pid>/stat from its third field (state, ppid, ...); [] once the process is gone."""
    try:
        # The command name, in parentheses, may hold spaces: the other fields follow the last ')'.
        return path.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _children(pid: int) -> list[int]:
    return [
        int(stat.parent.name)
        for stat in PROC.glob("[0-9]*/stat")
        if (fields := _stat(stat)) and int(fields[1]) == pid
    ]


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for child in _children(pid):
        pids.extend(_tree(child))
    return pids


def cpu_seconds(pid: int) -> float:
    """User and system CPU time used so far by the process and its children."""
    ticks = 0
    for member in _tree(pid):
        fields = _stat(PROC / str(member) / "stat")
        if fields:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / TICKS


def _peak_kib(pid: int) -> int:
    """VmHWM, the process's own high-water mark of resident memory (0 once it is gone)."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRss(threading.Thread):
    """Polls a process tree until stopped; ``peak_mib`` is the largest sum of its peaks seen."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.peak_kib = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.every):
            self.poll()

    def poll(self) -> None:
        """Take one reading now."""
        self.peak_kib = max(self.peak_kib, sum(_peak_kib(pid) for pid in _tree(self.pid)))

    def stop(self) -> None:
        self.poll()
        self._stopped.set()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024
