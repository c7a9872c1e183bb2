"""Ingest on several workers (real spawned processes, a real local Ray): identical content,
ids included, for any executor and worker count; dead workers fail their unit's files
clearly and a rerun lands everything exactly once."""

from __future__ import annotations

import polars as pl
import pytest

from pointline_core import ingest
from pointline_core.ingest.work import IngestOptions
from pointline_core.plugins import Plugins
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import ManifestStore
from tests.ingest import fake_vendor
from tests.ingest.conftest import open_symbols, trades
from tests.ingest.fake_vendor import write_trades
from tests.parallel.conftest import (
    assert_same_content,
    lake_content,
    new_lake,
    require_ray,
)

# Small bounds: the four largest sample files (>= 26 kB decoded: a Tardis book and three
# Quant360 symbols) stream alone in 500-row batches, the rest form units of up to 5 files.
OPTIONS = IngestOptions(stream_file_bytes=26_000, batch_rows=500, unit_max_files=5)


def run(source, lake, **kw):
    report = ingest(source / "bronze", lake, progress=False, options=OPTIONS, **kw)
    statuses = report.by_status()
    assert statuses.get("failed", 0) == 0, [f.reason for f in report.files if f.reason]
    return report


def test_content_is_identical_for_one_two_and_four_workers(mixed_source, tmp_path):
    one = new_lake(mixed_source, tmp_path / "w1")
    serial = run(mixed_source, one, workers=1)
    assert serial.executor == "serial"
    reference = lake_content(one)
    assert reference["quarantine/trades"].height > 0  # the instrument left out
    assert {"silver/l3_orders", "silver/l3_trades", "silver/orderbook_updates"} <= set(reference)
    for workers in (2, 4):
        lake = new_lake(mixed_source, tmp_path / f"w{workers}")
        report = run(mixed_source, lake, workers=workers, executor="process")
        assert (report.executor, report.workers) == ("process", workers)
        assert len(report.worker_peak_rss_mb) >= 2  # the units did spread over processes
        assert all(0 < w.peak_rss_mb < 1024 for w in report.worker_peak_rss_mb)
        assert_same_content(reference, lake_content(lake))
        again = run(mixed_source, lake, workers=workers, executor="process")
        assert set(again.by_status()) == {"skipped"}


def test_ray_executor_gives_the_same_content(mixed_source, tmp_path):
    require_ray()
    one = new_lake(mixed_source, tmp_path / "serial")
    run(mixed_source, one, workers=1)
    lake = new_lake(mixed_source, tmp_path / "ray")
    report = run(mixed_source, lake, workers=2, executor="ray")
    assert report.executor == "ray"
    assert_same_content(lake_content(one), lake_content(lake))


def _bronze(bronze, *names):
    for name in names:
        write_trades(
            bronze, "utcx", name.split(".")[0], trades(30), suffix=name[len(name.split(".")[0]) :]
        )


def test_a_killed_worker_fails_its_unit_and_the_rerun_is_exact(tmp_path, fakevendor_installed):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    _bronze(bronze, "AAA", "BBB", "CCC.die", "DDD")
    open_symbols(lake, *[("utcx", s) for s in ("AAA", "BBB", "CCC", "DDD")])
    opts = IngestOptions(batch_rows=10, stream_file_bytes=0)  # every file a unit of its own
    report = ingest(bronze, lake, progress=False, options=opts, workers=2, executor="process")
    by_name = {f.rel_path.rsplit("/", 1)[-1]: f for f in report.files}
    assert by_name["CCC.die.csv"].status == "failed"
    assert by_name["CCC.die.csv"].reason.startswith("worker_died:")
    assert {by_name[n].status for n in ("AAA.csv", "BBB.csv", "DDD.csv")} == {"success"}
    silver = pl.read_delta(str(lake / "silver" / "trades"))
    assert silver.height == 90 and silver.select("file_id", "file_seq").is_unique().all()
    # the file is fixed (renamed copy) and the rerun lands exactly the missing rows
    (bronze / "fakevendor" / "utcx" / "CCC.die.csv").rename(
        bronze / "fakevendor" / "utcx" / "CCC.csv"
    )
    ingest(bronze, lake, progress=False, options=opts, workers=2, executor="process")
    silver = pl.read_delta(str(lake / "silver" / "trades"))
    assert silver.height == 120 and silver.select("file_id", "file_seq").is_unique().all()


def test_plugin_errors_and_memory_limits_in_workers_fail_only_their_file(
    tmp_path, fakevendor_installed
):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    _bronze(bronze, "AAA", "BBB.boom", "CCC.hog", "DDD")
    open_symbols(lake, *[("utcx", s) for s in ("AAA", "BBB", "CCC", "DDD")])
    opts = IngestOptions(stream_file_bytes=0)
    report = ingest(bronze, lake, progress=False, options=opts, workers=2, executor="process")
    by_name = {f.rel_path.rsplit("/", 1)[-1]: f for f in report.files}
    assert "canonicalize_error" in by_name["BBB.boom.csv"].reason
    assert "'fakevendor'" in by_name["BBB.boom.csv"].reason
    assert "MemoryError" in by_name["CCC.hog.csv"].reason
    assert by_name["AAA.csv"].status == by_name["DDD.csv"].status == "success"
    entries = {e.bronze_path.rsplit("/", 1)[-1]: e for e in ManifestStore(Lake(lake)).entries()}
    assert (
        entries["CCC.hog.csv"].status == "failed"
        and "MemoryError" in entries["CCC.hog.csv"].status_reason
    )


def test_a_plugin_only_the_driver_has_is_reported_per_file(tmp_path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    _bronze(bronze, "AAA", "BBB")
    open_symbols(lake, ("utcx", "AAA"), ("utcx", "BBB"))
    plugins = Plugins()
    plugins.register(fake_vendor)  # in-process only: spawned workers cannot load it
    opts = IngestOptions(stream_file_bytes=0)
    report = ingest(
        bronze,
        lake,
        progress=False,
        options=opts,
        plugins=plugins,
        workers=2,
        executor="process",
    )
    assert {f.status for f in report.files} == {"failed"}
    assert all(
        f.reason.startswith("worker_plugin_missing: plugin 'fakevendor'") for f in report.files
    )
    assert "--executor serial" in report.files[0].reason
    # the default with in-process plugins is serial, which lands them
    assert ingest(bronze, lake, progress=False, options=opts, plugins=plugins).ok


def _spawned_orphans() -> list[int]:
    """Spawned pool workers whose parent is gone (re-parented to init)."""
    from pathlib import Path

    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            ppid = int((proc / "stat").read_text().rsplit(") ", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"spawn_main" in cmdline and ppid == 1:
            found.append(int(proc.name))
    return found


def _assert_no_worker_outlives() -> None:
    """No pool worker of the killed driver is left waiting for work (they die with it)."""
    import time

    deadline = time.monotonic() + 30
    while _spawned_orphans() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _spawned_orphans(), "pool workers outlived the killed driver"


@pytest.mark.parametrize("at_commit", [1, 3])
def test_driver_killed_while_workers_run_then_rerun_is_exact(
    tmp_path, fakevendor_installed, at_commit
):
    import os
    import subprocess
    import sys

    from pointline_core.storage.maintenance import vacuum_table

    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    names = [f"S{i:02d}" for i in range(6)]
    _bronze(bronze, *names)
    open_symbols(lake, *[("utcx", s) for s in names])
    # Output to a file, not a pipe: a pipe would also wait for any process that outlived
    # the driver (none should: the test then fails on the leftover check below).
    log = tmp_path / "driver.log"
    with open(log, "w") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.parallel.driver_child", bronze, lake, str(at_commit)],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
            env=os.environ,
            check=False,
        )
    assert proc.returncode == -9, log.read_text()
    _assert_no_worker_outlives()
    opts = IngestOptions(batch_rows=10, stream_file_bytes=0)
    report = ingest(bronze, lake, progress=False, options=opts, workers=2, executor="process")
    assert report.ok
    silver = pl.read_delta(str(lake / "silver" / "trades"))
    assert silver.height == 6 * 30
    assert silver.select("file_id", "file_seq").is_unique().all()
    assert {e.status for e in ManifestStore(Lake(lake)).entries()} == {"success"}
    # the killed run left data files no commit references: vacuum lists and removes them
    args = {"retention_hours": 0, "enforce_retention": False, "remove_orphans": True}
    orphans = vacuum_table(Lake(lake), "trades", **args)
    assert orphans.files and all("part-f" in f for f in orphans.files)
    assert vacuum_table(Lake(lake), "trades", dry_run=False, **args).files == orphans.files
    assert pl.read_delta(str(lake / "silver" / "trades")).equals(silver)


def test_a_killed_ray_worker_fails_its_unit_and_the_rest_land(tmp_path, fakevendor_installed):
    require_ray()
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    _bronze(bronze, "AAA", "BBB.die", "CCC")
    open_symbols(lake, *[("utcx", s) for s in ("AAA", "BBB", "CCC")])
    opts = IngestOptions(batch_rows=10, stream_file_bytes=0)
    report = ingest(bronze, lake, progress=False, options=opts, workers=2, executor="ray")
    by_name = {f.rel_path.rsplit("/", 1)[-1]: f for f in report.files}
    assert by_name["BBB.die.csv"].status == "failed"
    assert by_name["BBB.die.csv"].reason.startswith("worker_died:")
    assert by_name["AAA.csv"].status == by_name["CCC.csv"].status == "success"
    silver = pl.read_delta(str(lake / "silver" / "trades"))
    assert silver.height == 60 and silver.select("file_id", "file_seq").is_unique().all()


def test_two_drivers_with_workers_on_one_lake_land_everything_once(tmp_path, fakevendor_installed):
    import os
    import subprocess
    import sys

    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    names = [f"T{i}.slow" for i in range(4)]
    _bronze(bronze, *names)
    open_symbols(lake, *[("utcx", n.split(".")[0]) for n in names])
    cmd = [sys.executable, "-m", "tests.parallel.driver_child", bronze, lake, "0"]
    logs = [tmp_path / f"driver{i}.log" for i in range(2)]
    procs = []
    for log in logs:
        with open(log, "w") as out:
            procs.append(
                subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=os.environ)
            )
    for proc, log in zip(procs, logs, strict=True):
        assert proc.wait(timeout=300) == 0, log.read_text()
    assert any("waiting for another run" in log.read_text() for log in logs)
    silver = pl.read_delta(str(lake / "silver" / "trades"))
    assert silver.height == 4 * 30 and silver.select("file_id", "file_seq").is_unique().all()
    assert {e.status for e in ManifestStore(Lake(lake)).entries()} == {"success"}


def test_finished_units_are_committed_in_groups(tmp_path):
    group = IngestOptions().commit_units
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    names = [f"G{i:02d}" for i in range(group + 3)]
    _bronze(bronze, *names)
    open_symbols(lake, *[("utcx", n) for n in names])
    plugins = Plugins()
    plugins.register(fake_vendor)
    opts = IngestOptions(unit_max_files=1)  # one unit per file
    report = ingest(bronze, lake, progress=False, options=opts, plugins=plugins)
    (trades,) = report.tables
    assert trades.files == len(names) and trades.rows_written == 30 * len(names)
    assert trades.commits == 2  # two groups, Silver only (nothing quarantined)
    silver = pl.read_delta(str(lake / "silver" / "trades"))
    assert silver.height == 30 * len(names)


def test_units_that_finish_slowly_are_committed_as_they_finish(tmp_path):
    """A group waits for more units only while they come fast: a unit that arrives
    commit_seconds after the previous one is committed at once (large files become visible
    as they finish, and a crash redoes little), and a fast run still makes one group."""
    names = ["S1.slow", "S2.slow", "S3.slow"]  # ~0.6 s each: two batches, 0.3 s per batch
    plugins = Plugins()
    plugins.register(fake_vendor)
    commits = {}
    for label, seconds in (("slow", 0.2), ("grouped", 60.0)):
        bronze, lake = tmp_path / label / "bronze", tmp_path / label / "lake"
        _bronze(bronze, *names)
        open_symbols(lake, *[("utcx", n.split(".")[0]) for n in names])
        opts = IngestOptions(unit_max_files=1, batch_rows=15, commit_seconds=seconds)
        report = ingest(bronze, lake, progress=False, options=opts, plugins=plugins)
        assert report.ok
        (trades,) = report.tables
        commits[label] = trades.commits
        assert pl.read_delta(str(lake / "silver" / "trades")).height == 30 * len(names)
    assert commits == {"slow": 3, "grouped": 1}


def test_spawned_workers_share_the_cpus_between_their_polars_pools(monkeypatch):
    """N workers x one polars thread per CPU would oversubscribe the machine: a worker
    spawned by the process executor sizes its pool to cpus // workers, a POLARS_MAX_THREADS
    the user set wins, and the driver's environment is left as it was."""
    import multiprocessing
    import os

    from pointline_core.ingest.executors import POLARS_THREADS, _worker_threads

    def pool_size() -> int:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(1) as pool:
            return pool.apply(pl.thread_pool_size)

    monkeypatch.delenv(POLARS_THREADS, raising=False)
    cpus = os.cpu_count() or 1
    with _worker_threads(cpus):
        assert pool_size() == 1
    assert POLARS_THREADS not in os.environ
    monkeypatch.setenv(POLARS_THREADS, "3")
    with _worker_threads(cpus):
        assert pool_size() == 3
    assert os.environ[POLARS_THREADS] == "3"


def test_a_local_ray_worker_runs_cpus_over_workers_polars_threads(monkeypatch):
    require_ray()
    import os

    import ray

    from pointline_core.ingest.executors import POLARS_THREADS, RayExecutor, ray_task_options

    monkeypatch.delenv(POLARS_THREADS, raising=False)
    executor = RayExecutor(workers=os.cpu_count() or 1)
    executor._connect()
    try:
        remote = ray.remote(**ray_task_options())(pl.thread_pool_size)
        assert ray.get(remote.remote()) == 1
        assert POLARS_THREADS not in os.environ  # the driver's environment is restored
    finally:
        executor.close()
    assert not ray.is_initialized()


def test_on_a_running_ray_cluster_the_default_workers_are_its_cpus(
    mixed_source, tmp_path, monkeypatch
):
    """With an address and no --workers, the driver's own CPUs would leave most of a cluster
    idle: the default is the cluster's CPUs (here a real head started with 3)."""
    require_ray()
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    ray_cli = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))
    start = [ray_cli, "start", "--head", "--num-cpus=3", "--include-dashboard=false"]
    started = subprocess.run(start, capture_output=True, text=True, timeout=120, check=False)
    assert started.returncode == 0, started.stderr
    try:
        monkeypatch.setenv("RAY_ADDRESS", "auto")
        lake = new_lake(mixed_source, tmp_path / "cluster")
        report = run(mixed_source, lake, executor="ray")
        assert (report.executor, report.workers) == ("ray", 3)
        assert report.workers_limit is None
        reference = new_lake(mixed_source, tmp_path / "one")
        run(mixed_source, reference, workers=1)
        assert_same_content(lake_content(reference), lake_content(lake))
    finally:
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True, timeout=120, check=False)
