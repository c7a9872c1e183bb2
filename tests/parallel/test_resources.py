"""The default number of workers: one per CPU this process may use (affinity, a cgroup CPU
quota), no more than the available memory holds at 1 GiB each (MemAvailable, a cgroup memory
limit). Read from real files: fake /sys/fs/cgroup and /proc/meminfo trees on a temp dir, and a
real ``pointline ingest`` pinned to one CPU."""

from __future__ import annotations

import json
import os

import pytest

from pointline_core.resources import (
    DRIVER_MEMORY,
    WORKER_MEMORY,
    available_memory,
    choose_workers,
    usable_cpus,
)
from tests.robustness.conftest import run_pointline

GiB = 1 << 30


def _cgroup(tmp_path, **files: str):
    root = tmp_path / "cgroup"
    root.mkdir()
    for name, text in files.items():
        (root / name.replace("_", ".")).write_text(text + "\n")
    return root


@pytest.mark.parametrize(
    "quota, expected",
    [("max 100000", None), ("150000 100000", 1), ("50000 100000", 1), ("800000 100000", None)],
)
def test_a_cgroup_cpu_quota_caps_the_cpus(tmp_path, quota, expected):
    mine = len(os.sched_getaffinity(0))
    root = _cgroup(tmp_path, cpu_max=quota)
    assert usable_cpus(root) == (mine if expected is None else min(mine, expected))
    assert usable_cpus(tmp_path / "no-cgroup") == mine  # no cgroup files: the affinity mask


def test_available_memory_is_the_smaller_of_meminfo_and_the_cgroup_headroom(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 67108864 kB\nMemAvailable: 33554432 kB\n")  # 32 GiB
    assert available_memory(tmp_path / "none", meminfo) == 32 * GiB
    root = _cgroup(tmp_path, memory_max=str(8 * GiB), memory_current=str(3 * GiB))
    assert available_memory(root, meminfo) == 5 * GiB
    unlimited = tmp_path / "unlimited"
    unlimited.mkdir()
    (unlimited / "memory.max").write_text("max\n")
    (unlimited / "memory.current").write_text(f"{GiB}\n")
    assert available_memory(unlimited, meminfo) == 32 * GiB
    assert available_memory(tmp_path / "none", tmp_path / "no-meminfo") is None


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
