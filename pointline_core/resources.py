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

_CGROUP = Path("/sys/fs/cgroup")


@attrs.frozen(slots=True)
class WorkerChoice:
    """The default number of workers and why (``limit`` says what capped it)."""

    workers: int
    cpus: int
    memory_bytes: int | None
    limit: str | None = None


def usable_cpus(cgroup: Path = _CGROUP) -> int:
    """CPUs this process may run on: its affinity mask, capped by a cgroup v2 CPU quota
    (``cpu.max``, whole CPUs, at least one)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    quota = _read(cgroup / "cpu.max").split()
    if len(quota) == 2 and quota[0] != "max":
        try:
            cpus = min(cpus, max(1, int(int(quota[0]) / int(quota[1]))))
        except (ValueError, ZeroDivisionError):
            pass
    return max(1, cpus)


def available_memory(cgroup: Path = _CGROUP, meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """Bytes a run can still use: ``MemAvailable``, capped by a cgroup v2 memory limit's
    headroom (``memory.max`` - ``memory.current``); None where neither is known."""
    known: list[int] = []
    for line in _read(meminfo).splitlines():
        if line.startswith("MemAvailable:"):
            known.append(int(line.split()[1]) * 1024)
    limit, used = _read(cgroup / "memory.max").strip(), _read(cgroup / "memory.current").strip()
    if limit.isdigit() and used.isdigit():
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
