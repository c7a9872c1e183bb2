"""The default number of workers: one per CPU this process may use (affinity, a cgroup CPU
quota), no more than the available memory holds at 1 GiB each (MemAvailable, a cgroup memory
limit). Read from real files: fake /sys/fs/cgroup and /proc/meminfo trees on a temp dir, and a
real ``pointline ingest`` pinned to one CPU."""

from __future__ import annotations

import json
import os

from pointline_core.resources import (
    DRIVER_MEMORY,
    WORKER_MEMORY,
    Cgroups,
    available_memory,
    choose_workers,
    usable_cpus,
)
from tests.robustness.conftest import run_pointline

GiB = 1 << 30


def _v2(tmp_path, path: str, files: dict[str, str]):
    """A cgroup v2 tree: the process is in ``path``; ``files`` maps 'folder/name' to text."""
    root = tmp_path / "cgroup"
    root.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory\n")
    (tmp_path / "membership").write_text(f"0::{path}\n")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + "\n")
    return Cgroups(root, tmp_path / "membership")


def _v1(tmp_path, path: str, files: dict[str, str]):
    """A cgroup v1 tree (one hierarchy per controller), the process in ``path`` in each."""
    root = tmp_path / "cgroup1"
    membership = f"4:memory:{path}\n1:cpu,cpuacct:{path}\n0::/\n"
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "membership1").write_text(membership)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + "\n")
    return Cgroups(root, tmp_path / "membership1")


MINE = len(os.sched_getaffinity(0))


def test_a_cpu_quota_on_the_process_cgroup_or_a_parent_caps_the_cpus(tmp_path):
    assert usable_cpus(_v2(tmp_path / "a", "/", {"cpu.max": "max 100000"})) == MINE
    # the quota sits on a parent slice (systemd-run -p CPUQuota=150%): whole CPUs, at least 1
    nested = _v2(tmp_path / "b", "/app.slice/run.scope", {"app.slice/cpu.max": "150000 100000"})
    assert usable_cpus(nested) == 1
    v1 = _v1(
        tmp_path / "c",
        "/docker/x",
        {"cpu/docker/x/cpu.cfs_quota_us": "50000", "cpu/docker/x/cpu.cfs_period_us": "100000"},
    )
    assert usable_cpus(v1) == 1
    unlimited = _v1(
        tmp_path / "d", "/", {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}
    )
    assert usable_cpus(unlimited) == MINE
    assert usable_cpus(Cgroups(tmp_path / "none", tmp_path / "none")) == MINE


def test_available_memory_is_the_smallest_headroom_of_meminfo_and_every_limit(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 67108864 kB\nMemAvailable: 33554432 kB\n")  # 32 GiB
    nothing = Cgroups(tmp_path / "none", tmp_path / "none")
    assert available_memory(nothing, meminfo) == 32 * GiB
    v2 = _v2(
        tmp_path / "a",
        "/pod/app",
        {
            "pod/memory.max": str(8 * GiB),
            "pod/memory.current": str(3 * GiB),
            "pod/app/memory.max": "max",
            "pod/app/memory.current": str(2 * GiB),
        },
    )
    assert available_memory(v2, meminfo) == 5 * GiB
    v1 = _v1(
        tmp_path / "b",
        "/x",
        {
            "memory/x/memory.limit_in_bytes": str(6 * GiB),
            "memory/x/memory.usage_in_bytes": str(GiB),
            "memory/memory.limit_in_bytes": "9223372036854771712",  # no limit
            "memory/memory.usage_in_bytes": str(40 * GiB),
        },
    )
    assert available_memory(v1, meminfo) == 5 * GiB
    assert available_memory(nothing, tmp_path / "no-meminfo") is None


def test_memory_caps_the_default_and_says_so():
    assert choose_workers(64, None).workers == 64  # memory unknown: one per CPU
    roomy = choose_workers(2, 22 * GiB)
    assert (roomy.workers, roomy.limit) == (2, None)
    tight = choose_workers(64, DRIVER_MEMORY + 13 * WORKER_MEMORY + GiB // 2)
    assert tight.workers == 13
    assert tight.limit is not None
    assert tight.limit.startswith("13 worker(s), not one per CPU (64): ")
    assert tight.limit.endswith("pass --workers to choose")
    assert choose_workers(8, GiB // 2).workers == 1  # never none


def test_a_run_pinned_to_one_cpu_defaults_to_one_worker_in_the_driver(tmp_path):
    """os.cpu_count() counts the host; the default follows the CPUs the run may use."""
    from pointline_tardis.sample import write_sample

    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    write_sample(bronze)
    (bronze / "tardis_instruments.json").unlink()
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(mine)})  # inherited by the child
    try:
        proc = run_pointline(
            ["ingest", bronze, lake, "--json"], env={"POINTLINE_LOAD_PLUGINS": "tardis"}
        )
    finally:
        os.sched_setaffinity(0, mine)
    assert proc.returncode in (0, 3), proc.stderr
    report = json.loads(proc.stdout)
    assert (report["executor"], report["workers"], report["workers_limit"]) == ("serial", 1, None)
    assert report["files"] and {f["status"] for f in report["files"]} != {"failed"}
