"""Bad lakes and bad environments: each ends in ONE ``pointline: error: ...`` line naming the
path and the fix, with a documented exit code, no traceback (unless ``--debug``), and a lake
that is consistent afterwards; where there is a fix, a rerun after it lands every row exactly
once.

Exit codes (docs/troubleshooting.md): 0 done, 1 files failed, 2 usage or environment error,
3 rows quarantined, 70 internal error, 130 interrupted.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable
from pointline_quant360.sample import write_sample as quant360_sample

from tests.robustness.conftest import (
    assert_lineage_unique,
    assert_one_line_error,
    run_pointline,
    table_rows,
)
from tests.robustness.envkit import (
    TARDIS_INSTRUMENTS,
    event_tables,
    fill,
    import_symbols,
    ingest_ok,
    manifest,
    newest_commit,
    reference_counts,
    remount,
    row_counts,
    shared_dir,
    tardis_bronze,
    tmpfs,
    truncate,
)

ENVIRONMENT = 2
INTERNAL = 70


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The Tardis sample day as Bronze and the rows per table a clean ingest lands."""
    root = tmp_path_factory.mktemp("sample")
    bronze = tardis_bronze(root / "bronze")
    return bronze, reference_counts(root, bronze)


@pytest.fixture
def lake(tmp_path: Path, sample: tuple[Path, dict[str, int]]) -> Path:
    """A lake holding the whole sample day."""
    bronze, expected = sample
    lake = tmp_path / "lake"
    import_symbols(bronze, lake)
    ingest_ok(bronze, lake)
    assert row_counts(lake) == expected
    return lake


def assert_exactly_once(lake: Path, expected: dict[str, int]) -> None:
    assert row_counts(lake) == expected
    for table in event_tables(lake):
        assert_lineage_unique(lake, table)
    statuses = manifest(lake)["status"].to_list()
    assert statuses and set(statuses) == {"success"}, statuses


# --- lake root is a regular file ------------------------------------------------------------


def test_lake_root_is_a_file_ingest(tmp_path, sample):
    bronze, expected = sample
    lake = tmp_path / "lake"
    lake.write_text("not a lake")
    proc = run_pointline(["ingest", bronze, lake])
    assert_one_line_error(
        proc,
        ENVIRONMENT,
        f"lake root {lake} is not a directory",
        f"{lake} is a regular file): pass a directory as the root",
    )
    assert lake.read_text() == "not a lake"
    lake.unlink()
    import_symbols(bronze, lake)
    ingest_ok(bronze, lake)
    assert_exactly_once(lake, expected)


def test_lake_root_is_a_file_symbols_import(tmp_path, sample):
    bronze, _ = sample
    lake = tmp_path / "lake"
    lake.write_text("not a lake")
    proc = run_pointline(
        ["symbols", "import", "--vendor", "tardis", bronze / TARDIS_INSTRUMENTS, lake]
    )
    assert_one_line_error(proc, ENVIRONMENT, "is not a directory", "is a regular file")
    assert lake.read_text() == "not a lake"


def test_lake_root_is_a_file_read(tmp_path):
    lake = tmp_path / "lake"
    lake.write_text("not a lake")
    proc = run_pointline(["read", lake, "trades"])
    assert_one_line_error(
        proc,
        ENVIRONMENT,
        f"lake root {lake} does not exist or is not a directory",
        "does not exist or is not a directory; pass the directory that holds silver/",
    )


# --- permissions, read-only file system, disk full --------------------------------------------


def test_lake_not_writable_by_this_user(sample):
    bronze, expected = sample
    with shared_dir() as shared:
        mine = shared / "bronze"
        shutil.copytree(bronze, mine)
        lake = shared / "lake"
        import_symbols(mine, lake)  # as root: the lake belongs to root, mode 0755
        before = {p: p.stat().st_mtime_ns for p in lake.rglob("*")}
        proc = run_pointline(["ingest", mine, lake], user="nobody")
        assert_one_line_error(
            proc, ENVIRONMENT, "permission denied: user nobody may not write", f"lake root {lake}"
        )
        assert {p: p.stat().st_mtime_ns for p in lake.rglob("*")} == before
        ingest_ok(mine, lake)  # as the owner
        assert_exactly_once(lake, expected)


def test_lake_on_read_only_file_system(tmp_path, sample):
    bronze, expected = sample
    with tmpfs(tmp_path / "mnt") as mnt:
        lake = mnt / "lake"
        import_symbols(bronze, lake)
        remount(mnt, "ro")
        proc = run_pointline(["ingest", bronze, lake])
        assert_one_line_error(
            proc,
            ENVIRONMENT,
            f"lake root {lake} is on a read-only file system",
            "remount it read-write, or pass a root on a writable file system",
        )
        # Reading needs no write access.
        assert run_pointline(["read", lake, "dim_symbol"]).returncode == 0
        assert row_counts(lake) == {}
        remount(mnt, "rw")
        ingest_ok(bronze, lake)
        assert_exactly_once(lake, expected)


def test_disk_full_mid_write_then_exact_rerun(tmp_path, sample):
    bronze, expected = sample
    with tmpfs(tmp_path / "mnt", size="8m") as mnt:
        lake = mnt / "lake"
        import_symbols(bronze, lake)
        # Room for a few tables of the day, not for all of them.
        fill(mnt, leave_bytes=100 << 10)
        proc = run_pointline(["ingest", bronze, lake])
        assert_one_line_error(
            proc,
            ENVIRONMENT,
            f"no space left on the file system mounted at {mnt}",
            "free space there",
            "rerun the same command",
        )
        # Consistent: whatever landed is whole and once; no file claims success it lacks.
        got = row_counts(lake)
        assert all(got[t] in (0, expected[t]) for t in got), got
        for table in event_tables(lake):
            assert_lineage_unique(lake, table)
        remount(mnt, "size=64m")
        ingest_ok(bronze, lake)
        assert_exactly_once(lake, expected)


# --- damaged tables ---------------------------------------------------------------------------


def test_truncated_delta_commit_on_ingest(lake, sample):
    bronze, expected = sample
    commit = newest_commit(lake / "silver" / "trades")
    truncate(commit)
    proc = run_pointline(["ingest", bronze, lake, "--force"])
    assert_one_line_error(
        proc,
        ENVIRONMENT,
        f"commit file {commit} is unreadable",
        "is not valid JSON",
        "restore it from a backup",
        "move it out of _delta_log",
    )
    # The fix the message gives: drop the torn newest commit, rewrite with --force.
    commit.rename(lake / "torn-commit.json")
    ingest_ok(bronze, lake, "--force")
    assert_exactly_once(lake, expected)


def test_truncated_delta_commit_on_read(lake):
    commit = newest_commit(lake / "silver" / "trades")
    truncate(commit)
    proc = run_pointline(["read", lake, "trades"])
    assert_one_line_error(
        proc, ENVIRONMENT, f"Delta table {lake / 'silver' / 'trades'}", f"{commit} is unreadable"
    )
    # Other tables still read.
    assert run_pointline(["read", lake, "quotes"]).returncode == 0


def test_corrupt_manifest_commit(lake, sample):
    bronze, _ = sample
    table = lake / "control" / "ingest_manifest"
    commit = newest_commit(table)
    truncate(commit)
    counts = row_counts(lake)
    for args in (["ingest", bronze, lake], ["manifest", lake]):
        proc = run_pointline(args)
        assert_one_line_error(proc, ENVIRONMENT, f"commit file {commit} is unreadable")
    assert row_counts(lake) == counts


def test_missing_data_file_on_read_then_repair(lake, sample):
    bronze, expected = sample
    table = lake / "silver" / "trades"
    victim = sorted(table.rglob("*.parquet"))[0]
    victim.unlink()
    proc = run_pointline(["read", lake, "trades"])
    rel = victim.relative_to(table).as_posix()
    assert_one_line_error(
        proc,
        ENVIRONMENT,
        f"data file {rel} referenced by its log is missing: restore it from a backup",
        "repair()",
    )
    # The fix the message gives when no backup exists.
    DeltaTable(str(table)).repair(dry_run=False)
    ingest_ok(bronze, lake, "--force")
    assert_exactly_once(lake, expected)


def test_unknown_failure_is_an_internal_error_in_one_line(tmp_path):
    lake = tmp_path / "lake"
    log = lake / "silver" / "trades" / "_delta_log"
    log.mkdir(parents=True)
    # Valid JSON, but no table metadata: nothing the translation layer knows.
    (log / f"{0:020d}.json").write_text('{"commitInfo":{"timestamp":1}}\n')
    proc = run_pointline(["read", lake, "trades"])
    assert_one_line_error(
        proc,
        INTERNAL,
        "internal error: DeltaError:",
        "(rerun with --debug for the traceback and report it)",
    )


# --- --debug ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "env"),
    [("before", {}), ("after", {}), ("env", {"POINTLINE_DEBUG": "1"})],
)
def test_debug_shows_the_traceback(tmp_path, sample, where, env):
    bronze, _ = sample
    lake = tmp_path / "lake"
    lake.write_text("not a lake")
    args: list[str | Path] = ["ingest", bronze, lake]
    if where == "before":
        args = ["--debug", *args]
    elif where == "after":
        args = [*args, "--debug"]
    proc = run_pointline(args, env=env)
    assert proc.returncode == ENVIRONMENT
    assert "Traceback (most recent call last)" in proc.stderr
    assert "NotADirectoryError" in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("pointline: error: lake root"), proc.stderr


# --- wrong roots ------------------------------------------------------------------------------


def test_bronze_root_missing(tmp_path):
    lake = tmp_path / "lake"
    proc = run_pointline(["ingest", tmp_path / "nowhere", lake])
    assert_one_line_error(
        proc,
        ENVIRONMENT,
        f"Bronze root {tmp_path / 'nowhere'} does not exist or is not a directory",
        "BRONZE/<vendor>/",
    )
    assert not lake.exists()


def test_ingest_at_the_vendor_folder(tmp_path, sample):
    bronze, _ = sample
    lake = tmp_path / "lake"
    proc = run_pointline(["ingest", bronze / "tardis", lake])
    assert_one_line_error(
        proc,
        ENVIRONMENT,
        "no Bronze files found",
        "looks like the folder of vendor 'tardis' itself",
        f"pass its parent folder ({bronze})",
    )
    assert row_counts(lake) == {}


def test_extract_at_the_vendor_folder(tmp_path):
    source, bronze = tmp_path / "source", tmp_path / "bronze"
    archives = [p for p in quant360_sample(source) if p.suffix == ".7z"]
    proc = run_pointline(["extract", source / "quant360", bronze])
    assert_one_line_error(
        proc,
        ENVIRONMENT,
        f"found {len(archives)} archive(s) of vendor 'quant360' directly in {source / 'quant360'}",
        f"pass its parent folder ({source})",
        "SOURCE/<vendor>/<archives>",
    )
    assert not bronze.exists()  # nothing written, not even a ledger
    proc = run_pointline(["extract", source, bronze])
    assert proc.returncode == 0, proc.stderr
    assert any((bronze / "quant360").rglob("*.csv.gz"))


def test_extract_source_without_vendor_folders(tmp_path):
    source = tmp_path / "source"
    (source / "misc").mkdir(parents=True)
    proc = run_pointline(["extract", source, tmp_path / "bronze"])
    line = assert_one_line_error(
        proc, ENVIRONMENT, f"nothing extracted: {source} has no folder named after a vendor"
    )
    # it names the installed vendors that extract archives
    assert "(quant360)" in line, line


# --- exit codes of a finished run ------------------------------------------------------------


def test_exit_code_3_when_rows_quarantined_and_0_after_the_fix(tmp_path, sample):
    bronze, expected = sample
    lake = tmp_path / "lake"
    proc = run_pointline(["ingest", bronze, lake])  # no symbols yet: rows quarantined
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "symbol_not_covered" in proc.stdout
    assert sum(table_rows(lake, t).height for t in event_tables(lake)) == 0
    import_symbols(bronze, lake)
    proc = run_pointline(["ingest", bronze, lake, "--retry-quarantined"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(table_rows(lake, t, "quarantine").height == 0 for t in event_tables(lake))
    assert {t: table_rows(lake, t).height for t in event_tables(lake)} == expected
    for table in event_tables(lake):
        assert_lineage_unique(lake, table)


def test_read_works_on_a_lake_this_user_cannot_write(sample):
    bronze, expected = sample
    with shared_dir() as shared:
        lake = shared / "lake"
        import_symbols(bronze, lake)
        ingest_ok(bronze, lake)
        proc = run_pointline(["read", lake, "trades", "--format", "csv"], user="nobody")
        assert proc.returncode == 0, proc.stderr
        assert len(proc.stdout.strip().splitlines()) == expected["trades"] + 1


def test_disk_full_during_extract_ends_the_run_then_exact_rerun(tmp_path):
    source = tmp_path / "source"
    archives = [p for p in quant360_sample(source) if p.suffix == ".7z"]
    reference = tmp_path / "reference"
    assert run_pointline(["extract", source, reference]).returncode == 0
    expected = sorted(p.relative_to(reference).as_posix() for p in reference.rglob("*.csv.gz"))
    with tmpfs(tmp_path / "mnt", size="8m") as mnt:
        bronze = mnt / "bronze"
        fill(mnt, leave_bytes=60 << 10)
        proc = run_pointline(["extract", source, bronze])
        # delta-rs may print a panic note of its own ("Already shut down") when its upload
        # buffer is dropped after the failed ledger write; Python prints no traceback and
        # the last line is the one error.
        assert proc.returncode == ENVIRONMENT, proc.stderr
        assert "Traceback" not in proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith(
            f"pointline: error: no space left on the file system mounted at {mnt}"
        )
        remount(mnt, "size=64m")
        proc = run_pointline(["extract", source, bronze])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        got = sorted(p.relative_to(bronze).as_posix() for p in bronze.rglob("*.csv.gz"))
        assert got == expected
        assert f"{len(archives)} archives" in proc.stdout


def test_a_full_disk_under_a_plugin_ends_the_run_a_denied_bronze_file_fails_the_file(tmp_path):
    from pointline_core.errors import DiskFullError
    from pointline_core.ingest.failure import FileFailed, hook_error

    spill = tmp_path / "spill.tmp"
    full = hook_error("v", "parse", OSError(errno.ENOSPC, "No space left on device", str(spill)))
    assert isinstance(full, DiskFullError)
    assert str(spill) in str(full)
    denied = hook_error("v", "parse", PermissionError(errno.EACCES, "Permission denied", "f.csv"))
    assert isinstance(denied, FileFailed)
