"""The lake root: where every table lives and where cross-process locks are taken.

The layout is part of the product's contract (other engines read these paths)::

    <root>/silver/<table>/        canonical event tables and dim_symbol
    <root>/quarantine/<table>/    rejected rows of an event table
    <root>/control/<table>/       ingest_manifest, validation_log, upstream_ledger
    <root>/gold/<table>/          tables derived from silver for research (bars_1m ...)
    <root>/_locks/<name>.lock     filelock files (not data; safe to delete when idle)
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args

import attrs
import filelock

from pointline_core.errors import LakePathError

Zone = Literal["silver", "quarantine", "control", "gold"]
ZONES: tuple[str, ...] = get_args(Zone)
LOCK_DIR = "_locks"


# delta-rs percent-encodes data file URIs and the readers then look for the encoded name
# (a space becomes "%20"), so tables under such paths write fine but cannot be read back.
# Refusing the root up front beats a FileNotFoundError deep inside a read.
_SAFE_PATH = re.compile(r"^[A-Za-z0-9/._\-+=,@~():!$&']*$")


def _as_path(value: str | Path) -> Path:
    path = Path(value)
    absolute = str(path.absolute())
    if not _SAFE_PATH.match(absolute):
        bad = sorted({c for c in absolute if not _SAFE_PATH.match(c)})
        raise LakePathError(
            f"lake root {absolute!r} contains {bad}: Delta readers (delta-rs, polars) cannot "
            "read tables under paths with spaces, '#', '%' or non-ASCII characters. Choose a "
            "lake root made of letters, digits and / . _ - + = , @ ~"
        )
    return path


class LakeNameError(LakePathError, ValueError):
    """An unknown zone or an invalid table name (a ValueError, and a PointlineError so the
    command line reports it instead of a traceback)."""


@attrs.frozen(slots=True)
class Lake:
    """A lake root directory. Creating a ``Lake`` touches nothing on disk."""

    root: Path = attrs.field(converter=_as_path)

    def table_path(self, table: str, zone: Zone) -> Path:
        if zone not in ZONES:
            raise LakeNameError(f"unknown lake zone {zone!r}; use one of {', '.join(ZONES)}")
        if not table or "/" in table or "\\" in table or table.startswith("."):
            raise LakeNameError(
                f"invalid table name {table!r}: use a plain lower_snake_case name such as "
                "trades (`pointline tables` lists them)"
            )
        return self.root / zone / table

    def lock(self, name: str, timeout: float = -1) -> filelock.FileLock:
        """A cross-process lock at ``<root>/_locks/<name>.lock``.

        ``is_singleton`` makes every ``lock(name)`` in one process the same reentrant object,
        so a code path that already holds a lock can take it again instead of deadlocking on
        its own flock.
        """
        lock_dir = self.root / LOCK_DIR
        try:
            lock_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _refusal(exc, lock_dir, self.root) from exc
        return LakeLock(
            str(lock_dir / f"{name}.lock"), timeout=timeout, is_singleton=True, root=self.root
        )


def _refusal(exc: OSError, path: Path, root: Path) -> Exception:
    """The one-line error for a file system refusing ``path`` (the exception itself if it is
    no known refusal)."""
    from pointline_core.storage.environment import environment_error

    return environment_error(exc, path, root) or exc


class LakeLock(filelock.FileLock):
    """A ``FileLock`` whose failure to create its lock file (read-only file system, no
    permission, disk full) is a :class:`~pointline_core.errors.LakeEnvironmentError` naming
    the lake root, not a bare ``OSError``."""

    def __init__(self, lock_file: str, *, root: Path, **kwargs: Any) -> None:
        super().__init__(lock_file, **kwargs)
        self._lake_root = root

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().acquire(*args, **kwargs)
        except filelock.Timeout:
            raise
        except OSError as exc:
            raise _refusal(exc, Path(self.lock_file), self._lake_root) from exc


#: The lock every writer of a lake's event data takes (ingest runs, symbols imports,
#: restamps): one of them at a time, the others wait.
WRITER_LOCK = "ingest"


@contextlib.contextmanager
def writer_lock(lake: Lake, activity: str, *, progress: bool = True) -> Iterator[None]:
    """Hold ``<lake>/_locks/ingest.lock``; says on stderr that ``activity`` waits when
    another writer holds it."""
    lock = lake.lock(WRITER_LOCK)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if progress:
            print(
                f"{activity}: waiting for another run on {lake.root} to finish "
                f"(lock {lock.lock_file})",
                file=sys.stderr,
                flush=True,
            )
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
