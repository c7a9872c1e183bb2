"""What this machine, or the container the run is in, lets a run use: CPUs and memory, and
from them the default number of ingest workers.

``os.cpu_count()`` counts the host's CPUs. In a container limited to 4 of a host's 64 CPUs
(a cgroup CPU quota, a cpuset, ``taskset``) 64 workers would share 4 CPUs, each with its own
start-up cost and memory; and on a host with 2 GiB per CPU (common on compute instances) one
worker per CPU may not fit in memory at the per-worker bound (``WORKER_MEMORY``). The default
is therefore one worker per CPU this process may use, no more than the available memory
holds. An explicit ``--workers`` is always honoured.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

#: Memory a worker may need at its peak: the bound the units are sized for and tests hold
#: (measured peaks: <= ~550 MiB on every bench input; docs/architecture.md).
WORKER_MEMORY = 1 << 30
#: Memory kept back for the driver (its manifest, commit state, and a one-unit run).
DRIVER_MEMORY = 1 << 30


@attrs.frozen(slots=True)
class WorkerChoice:
    """The default number of workers and why (``limit`` says what capped it)."""

    workers: int
    cpus: int
    memory_bytes: int | None
    limit: str | None = None


@attrs.frozen(slots=True)
class Cgroups:
    """Where to read this process's cgroup limits (the real files by default; tests point
    these at fake trees)."""

    root: Path = Path("/sys/fs/cgroup")
    membership: Path = Path("/proc/self/cgroup")

    def folders(self, controller: str) -> list[Path]:
        """This process's cgroup folders for ``controller``, innermost first, with every
        parent up to the mount point: a limit set on any of them applies. cgroup v2 (one
        unified tree) when mounted, else the v1 ``controller`` hierarchy."""
        unified = (self.root / "cgroup.controllers").is_file()
        for line in _read(self.membership).splitlines():
            ident, controllers, path = (line.split(":", 2) + ["", ""])[:3]
            if unified and ident == "0" and controllers == "":
                return _up(self.root, path)
            if not unified and controller in controllers.split(","):
                return _up(self.root / controller, path)
        return []


def _up(mount: Path, path: str) -> list[Path]:
    here = mount / path.strip("/")
    folders = [here, *here.parents]
    return [f for f in folders if f == mount or mount in f.parents]


def usable_cpus(cgroups: Cgroups | None = None) -> int:
    """CPUs this process may run on: its affinity mask, capped by a cgroup CPU quota (v2
    ``cpu.max``, v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us``; whole CPUs, at least one)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    for folder in (cgroups or Cgroups()).folders("cpu"):
        quota = _read(folder / "cpu.max").split()
        if len(quota) != 2:
            quota = [_read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")]
        try:
            share, period = int(quota[0]), int(quota[1])
        except ValueError:  # "max", absent: no quota here
            continue
        if share > 0 and period > 0:
            cpus = min(cpus, max(1, share // period))
    return max(1, cpus)


#: A v1 memory limit this large means "no limit" (the kernel reports ~2**63 rounded down).
_NO_LIMIT = 1 << 60


def available_memory(
    cgroups: Cgroups | None = None, meminfo: Path = Path("/proc/meminfo")
) -> int | None:
    """Bytes a run can still use: ``MemAvailable``, capped by the headroom of any cgroup
    memory limit over it (v2 ``memory.max`` - ``memory.current``, v1
    ``memory.limit_in_bytes`` - ``memory.usage_in_bytes``); None where nothing is known."""
    known: list[int] = []
    for line in _read(meminfo).splitlines():
        if line.startswith("MemAvailable:"):
            known.append(int(line.split()[1]) * 1024)
    for folder in (cgroups or Cgroups()).folders("memory"):
        for limit_file, used_file in (
            ("memory.max", "memory.current"),
            ("memory.limit_in_bytes", "memory.usage_in_bytes"),
        ):
            limit, used = _read(folder / limit_file).strip(), _read(folder / used_file).strip()
            if limit.isdigit() and used.isdigit() and int(limit) < _NO_LIMIT:
                known.append(max(0, int(limit) - int(used)))
    return min(known) if known else None


def default_workers() -> WorkerChoice:
    """:func:`choose_workers` for the CPUs and memory this process has now."""
    return choose_workers(usable_cpus(), available_memory())


def choose_workers(cpus: int, memory_bytes: int | None) -> WorkerChoice:
    """One worker per CPU, no more than ``memory_bytes`` holds at :data:`WORKER_MEMORY` each
    after :data:`DRIVER_MEMORY` for the driver (at least one; memory unknown: one per CPU)."""
    if memory_bytes is None:
        return WorkerChoice(cpus, cpus, None)
    fit = max(1, (memory_bytes - DRIVER_MEMORY) // WORKER_MEMORY)
    if fit >= cpus:
        return WorkerChoice(cpus, cpus, memory_bytes)
    limit = (
        f"{fit} worker(s), not one per CPU ({cpus}): {memory_bytes / 2**30:.1f} GiB of memory "
        f"available holds {fit} at {WORKER_MEMORY / 2**30:.0f} GiB each next to the driver; "
        "pass --workers to choose"
    )
    return WorkerChoice(fit, cpus, memory_bytes, limit)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
