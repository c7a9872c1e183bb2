"""Helpers of the bad-environment cases: small tmpfs mounts (root only), folders an
unprivileged user can reach, and the Tardis sample day as Bronze input.

Mounting needs root. Locally a case that cannot mount is skipped; under ``CI=true`` (CI runs
as root) it fails instead, so the disk-full and read-only cases always run there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from pointline_tardis.sample import write_sample

from tests.robustness.conftest import IN_CI, require_root, run_pointline, table_rows

TARDIS_INSTRUMENTS = "tardis_instruments.json"


def _skip_or_fail(why: str) -> None:
    if IN_CI:
        pytest.fail(f"{why} (required under CI=true)")
    pytest.skip(why)


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "8m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted at ``where`` (created), unmounted on exit."""
    require_root("mounting a tmpfs")
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        _skip_or_fail(f"cannot mount a tmpfs at {where}: {proc.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)


def remount(where: Path, options: str) -> None:
    """``mount -o remount,OPTIONS`` (for example ``ro``, ``rw`` or ``size=64m``)."""
    proc = subprocess.run(
        ["mount", "-o", f"remount,{options}", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        _skip_or_fail(f"cannot remount {where} with {options}: {proc.stderr.strip()}")


def fill(where: Path, leave_bytes: int) -> Path:
    """Write a filler file so that only about ``leave_bytes`` stay free on ``where``'s file
    system; returns the filler's path."""
    stat = os.statvfs(where)
    free = stat.f_bavail * stat.f_frsize
    filler = where / "filler"
    with open(filler, "wb") as handle:
        remaining = max(free - leave_bytes, 0)
        chunk = b"\0" * (1 << 20)
        while remaining > 0:
            n = min(remaining, len(chunk))
            try:
                handle.write(chunk[:n])
                handle.flush()
            except OSError:
                break
            remaining -= n
    return filler


@contextlib.contextmanager
def shared_dir() -> Iterator[Path]:
    """A folder under /tmp that every user may enter and read (pytest's tmp_path is 0700,
    so an unprivileged user could not even reach the Bronze files)."""
    path = Path(tempfile.mkdtemp(prefix="pointline-robustness-", dir="/tmp"))
    try:
        path.chmod(0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def tardis_bronze(where: Path) -> Path:
    """The deterministic Tardis sample day at ``where/tardis/...`` (plus its instruments file);
    returns ``where``."""
    write_sample(where)
    return where


def import_symbols(bronze: Path, lake: Path) -> None:
    proc = run_pointline(
        ["symbols", "import", "--vendor", "tardis", bronze / TARDIS_INSTRUMENTS, lake]
    )
    assert proc.returncode == 0, proc.stderr


def ingest_ok(bronze: Path, lake: Path, *extra: str) -> None:
    proc = run_pointline(["ingest", bronze, lake, *extra])
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"


def event_tables(lake: Path) -> list[str]:
    silver = lake / "silver"
    if not silver.is_dir():
        return []
    return sorted(p.name for p in silver.iterdir() if p.name != "dim_symbol")


def row_counts(lake: Path) -> dict[str, int]:
    """Rows per event table, Silver and quarantine together."""
    return {
        t: table_rows(lake, t).height + table_rows(lake, t, "quarantine").height
        for t in event_tables(lake)
    }


def reference_counts(tmp_path: Path, bronze: Path) -> dict[str, int]:
    """Rows per table of a clean ingest of ``bronze`` into a fresh lake."""
    lake = tmp_path / "reference-lake"
    import_symbols(bronze, lake)
    ingest_ok(bronze, lake)
    return row_counts(lake)


def manifest(lake: Path) -> pl.DataFrame:
    return table_rows(lake, "ingest_manifest", "control")


def newest_commit(table: Path) -> Path:
    return sorted((table / "_delta_log").glob("*.json"))[-1]


def truncate(path: Path, keep: int = 120) -> None:
    """Cut ``path`` to its first ``keep`` bytes (a commit file torn by a crash)."""
    data = path.read_bytes()
    assert len(data) > keep
    path.write_bytes(data[:keep])
