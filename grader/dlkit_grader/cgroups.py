"""A control group per graded notebook: limits on everything its kernel starts, together, and a clean kill.

Resource limits (``setrlimit``) hold per process: eight children of 1.5 GB each pass a 2 GB limit, and a child
that calls ``setsid`` gets a CPU share of its own. A control group holds the kernel and every process it
starts, whatever they do: memory of all of them together, their number, one CPU's worth of time at most and
the same weight as every classmate's, and at the end all of them are killed at once.

cgroup v2 (one hierarchy, ``/sys/fs/cgroup``) is used where its memory, pids and cpu controllers are
available; otherwise the v1 hierarchies of those controllers (``/sys/fs/cgroup/<controller>``). The root
folder is a parameter, so that the file writes can be checked against a fake tree.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu")
PERIOD_US = 100_000  # the CPU quota is one CPU: PERIOD_US of time per PERIOD_US


class ControlGroups:
    """Where control groups can be made here, and how: found once by `find`."""

    def __init__(self, version: int, root: Path = ROOT):
        self.version, self.root = version, root

    @classmethod
    def find(cls, root: Path = ROOT) -> ControlGroups | None:
        """The usable hierarchy (v2 first), or None: it needs root and the three controllers."""
        if os.geteuid() != 0:
            return None
        available = (
            (root / "cgroup.controllers").read_text().split()
            if (root / "cgroup.controllers").exists()
            else []
        )
        if all(name in available for name in CONTROLLERS):
            return cls(2, root)
        if all(os.access(root / name, os.W_OK) for name in CONTROLLERS):
            return cls(1, root)
        return None

    def folders(self, name: str) -> list[Path]:
        """The folders of the group `name` (one in v2, one per controller in v1)."""
        if self.version == 2:
            return [self.root / "dlkit-grade" / name]
        return [self.root / controller / "dlkit-grade" / name for controller in CONTROLLERS]

    def create(self, name: str, memory_mb: int, max_processes: int) -> list[Path]:
        """Make the group `name` with its limits; returns its folders (what `join` and `kill` take)."""
        if self.version == 2:
            parent = self.root / "dlkit-grade"
            parent.mkdir(exist_ok=True)
            _write(self.root / "cgroup.subtree_control", " ".join(f"+{c}" for c in CONTROLLERS))
            _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in CONTROLLERS))
        folders = self.folders(name)
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        limits = {
            2: {
                "memory.max": memory_mb * 2**20,
                "memory.swap.max": 0,
                "pids.max": max_processes,
                "cpu.weight": 100,
                "cpu.max": f"{PERIOD_US} {PERIOD_US}",
            },
            1: {
                "memory.limit_in_bytes": memory_mb * 2**20,
                "pids.max": max_processes,
                "cpu.shares": 1024,
                "cpu.cfs_period_us": PERIOD_US,
                "cpu.cfs_quota_us": PERIOD_US,
            },
        }[self.version]
        for file, value in limits.items():
            controller = file.split(".")[0]
            (folder,) = [f for f in folders if self.version == 2 or f.parts[-3] == controller]
            _write(folder / file, str(value))
        return folders


def join(folders: list[Path], pid: int | None = None) -> None:
    """Put process `pid` (by default this one) into the group; its children are born in it."""
    for folder in folders:
        _write(folder / "cgroup.procs", str(pid or os.getpid()))


def kill(folders: list[Path], attempts: int = 50) -> int:
    """SIGKILL every process of the group, until it is empty, then remove it; returns how many there were."""
    found = set()
    for _ in range(attempts):
        pids = {
            int(line) for folder in folders if folder.exists() for line in _lines(folder / "cgroup.procs")
        }
        if not pids:
            break
        found |= pids
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        time.sleep(0.05)
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            continue  # still busy or already gone; a later run's group has another name
    return len(found)


def _write(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []
