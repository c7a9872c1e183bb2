"""Low-level failures of the file system and of Delta tables, said in one line.

Writers and readers below this point raise whatever the OS, delta-rs and polars raise: an
``OSError`` with an errno, a delta-rs ``DeltaError`` whose text carries ``(os error 28)``, a
polars ``ComputeError`` with the same text, or a JSON error from the Delta log naming no file.
Here, where the path being worked on is known, they become specific errors that name that
path and what to do:

* :class:`~pointline_core.errors.DiskFullError` (ENOSPC, EDQUOT): free space and rerun;
* :class:`~pointline_core.errors.LakeEnvironmentError`: read-only file system (EROFS), no
  permission (EACCES, EPERM), or a path component that is a regular file (ENOTDIR);
* :class:`~pointline_core.errors.CorruptTableError`: a ``_delta_log`` commit file that does not
  parse, or a data file the log references that is missing.

Anything else is re-raised unchanged (the command line reports it as an internal error).
Translation happens only on the failure path: nothing here costs anything on success.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pointline_core.errors import (
    CorruptTableError,
    DiskFullError,
    LakeEnvironmentError,
    PointlineError,
)

_OS_ERROR = re.compile(r"\(os error (\d+)\)")
# Phrases the Rust and polars layers print when they drop the errno from the exception type.
_PHRASES = (
    ("No space left on device", errno.ENOSPC),
    ("Disk quota exceeded", errno.EDQUOT),
    ("Read-only file system", errno.EROFS),
    ("Permission denied", errno.EACCES),
    ("Operation not permitted", errno.EPERM),
    ("Not a directory", errno.ENOTDIR),
    ("No such file or directory", errno.ENOENT),
)
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_ONLY = frozenset({errno.EROFS})
DENIED = frozenset({errno.EACCES, errno.EPERM})
NOT_A_DIRECTORY = frozenset({errno.ENOTDIR})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def os_errno(exc: BaseException) -> int | None:
    """The errno behind ``exc`` (or an exception it was raised from), also when a Rust or
    polars layer kept it only in the message text."""
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno:
            return link.errno
        text = str(link)
        match = _OS_ERROR.search(text)
        if match:
            return int(match.group(1))
        for phrase, code in _PHRASES:
            if phrase in text:
                return code
    return None


def named_file(exc: BaseException) -> Path | None:
    """The (absolute) file an ``OSError`` in ``exc``'s chain names, if any."""
    for link in _chain(exc):
        if isinstance(link, OSError) and link.filename:
            return Path(os.path.abspath(os.fsdecode(link.filename)))
    return None


def existing_ancestor(path: Path) -> Path:
    """``path`` (absolute) if it exists, else its nearest existing parent."""
    current = Path(os.path.abspath(path))
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path`` (or its nearest existing parent)."""
    current = existing_ancestor(path)
    while not os.path.ismount(current) and current != current.parent:
        current = current.parent
    return current


def _first_file_component(path: Path) -> Path | None:
    """The first component of ``path`` that exists and is not a directory."""
    current = Path(os.path.abspath(path))
    for candidate in [*reversed(current.parents), current]:
        if candidate.exists() and not candidate.is_dir():
            return candidate
        if not candidate.exists():
            return None
    return None


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):  # pragma: no cover - no pwd on Windows, or no entry
        return f"uid {os.geteuid()}" if hasattr(os, "geteuid") else "this user"


def _owner(path: Path) -> str:
    current = existing_ancestor(path)
    try:
        import pwd

        return pwd.getpwuid(current.stat().st_uid).pw_name
    except (ImportError, KeyError, OSError):  # pragma: no cover - platform dependent
        return "its owner"


def environment_error(
    exc: BaseException, path: Path, root: Path | None = None
) -> LakeEnvironmentError | None:
    """The file-system refusal behind ``exc`` while writing or reading ``path`` (a table, a
    lock file) under ``root`` (the lake root, when known), or None if it is not one."""
    code = os_errno(exc)
    if code is None:
        return None
    where = f"lake root {root}" if root is not None else str(path)
    if code in DISK_FULL:
        # The file the OS names (a temporary spill file, say) may be on another file system.
        path = named_file(exc) or path
        fs = mount_point(path)
        return DiskFullError(
            f"no space left on the file system mounted at {fs} (writing {path}): free space "
            "there and rerun the same command; the failed write committed nothing, so the "
            "rerun does exactly what is missing",
            path=str(path),
        )
    if code in READ_ONLY:
        return LakeEnvironmentError(
            f"{where} is on a read-only file system (mounted at {mount_point(path)}; writing "
            f"{path}): remount it read-write, or pass a root on a writable file system; "
            "reading (`pointline read`) works without write access",
            path=str(path),
        )
    if code in DENIED:
        return LakeEnvironmentError(
            f"permission denied: user {_user()} may not write {path}: run the command as the "
            f"owner of {where} ({_owner(root or path)}) or give this user write access to it",
            path=str(path),
        )
    if code in NOT_A_DIRECTORY:
        blocker = _first_file_component(path)
        what = f"{blocker} is a regular file" if blocker else "a part of it is not a directory"
        return LakeEnvironmentError(
            f"{where} is not a directory ({what}): pass a directory as the root (it is "
            "created if missing), or move the file out of the way",
            path=str(path),
        )
    return None


# --- Delta tables ---------------------------------------------------------------------------


def unreadable_log_file(table_path: Path) -> tuple[Path, str] | None:
    """The first commit file of ``table_path/_delta_log`` that is not valid JSON lines, with
    why; None if every commit file parses."""
    log = table_path / "_delta_log"
    try:
        commits = sorted(p for p in log.iterdir() if re.fullmatch(r"\d{20}\.json", p.name))
    except OSError:
        return None
    for commit in commits:
        try:
            text = commit.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            return commit, f"not UTF-8 at byte {exc.start}"
        except OSError as exc:
            return commit, f"cannot be read: {exc.strerror or exc}"
        if not text.strip():
            return commit, "empty"
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except json.JSONDecodeError as exc:
                return commit, (
                    f"line {number} is not valid JSON ({exc.msg}, column {exc.colno}); "
                    "truncated by a crash or a full disk?"
                )
    return None


def missing_data_files(table_path: Path) -> list[str]:
    """Data files (paths relative to the table) its current Delta log references but that are
    not on disk; empty when the log cannot be opened."""
    from deltalake import DeltaTable

    try:
        actions = DeltaTable(str(table_path)).get_add_actions(flatten=True)
        paths = [str(p) for p in actions.column("path").to_pylist()]
    except Exception:  # noqa: BLE001 - a diagnosis on the failure path; the caller re-raises
        return []
    from urllib.parse import unquote

    return [p for p in paths if not (table_path / unquote(p)).exists()]


def _newest_commit(table_path: Path) -> Path | None:
    log = table_path / "_delta_log"
    try:
        commits = sorted(p for p in log.iterdir() if re.fullmatch(r"\d{20}\.json", p.name))
    except OSError:
        return None
    return commits[-1] if commits else None


def corrupt_table_error(exc: BaseException, table_path: Path) -> CorruptTableError | None:
    """What is damaged in the Delta table at ``table_path`` if ``exc`` comes from that, else
    None. Looks at the log only when something already failed."""
    table_path = Path(os.path.abspath(table_path))
    if not (table_path / "_delta_log").is_dir():
        return None
    bad = unreadable_log_file(table_path)
    if bad is not None:
        commit, why = bad
        newest = _newest_commit(table_path)
        if newest == commit:
            advice = (
                "restore it from a backup; or, as it is the newest commit, move it out of "
                "_delta_log (the table goes back to the previous version) and rerun "
                "`pointline ingest --force` to rewrite the rows it held"
            )
        else:
            advice = (
                "restore it from a backup (it is not the newest commit, so the table cannot "
                "simply go back to an older version)"
            )
        return CorruptTableError(
            f"Delta table {table_path}: commit file {commit} is unreadable ({why}): {advice}",
            path=str(commit),
        )
    code = os_errno(exc)
    if code == errno.ENOENT or isinstance(exc, FileNotFoundError):
        missing = missing_data_files(table_path)
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            return CorruptTableError(
                f"Delta table {table_path}: data file {missing[0]}{more} referenced by its "
                "log is missing: restore it from a backup; if it is lost, drop it from the "
                "log with deltalake's DeltaTable(<table>).repair() and rerun "
                "`pointline ingest --force` to rewrite the rows it held",
                path=str(table_path / missing[0]),
            )
    return None


#: Modules whose exceptions can be a file-system or Delta-log failure (delta-rs raises from
#: ``_internal``); other exceptions (a plugin's, a file's ``FileFailed``) pass untouched.
_LOW_LEVEL_MODULES = frozenset({"_internal", "deltalake", "polars", "pyarrow", "arro3", "json"})


def is_low_level(exc: BaseException) -> bool:
    """True for exceptions of the OS, delta-rs, polars or Arrow (the kinds translated here)."""
    if isinstance(exc, PointlineError):
        return False
    if isinstance(exc, OSError):
        return True
    return (type(exc).__module__ or "").split(".")[0] in _LOW_LEVEL_MODULES


def translate(exc: BaseException, path: Path, root: Path | None = None) -> PointlineError | None:
    """The specific error for ``exc`` raised while working on ``path`` (a table or any file
    under the lake ``root``), or None when it is none of the known failures."""
    if not is_low_level(exc):
        return None
    return corrupt_table_error(exc, path) or environment_error(exc, path, root)


@contextlib.contextmanager
def table_io(path: Path, root: Path | None = None) -> Iterator[None]:
    """Translate failures raised while working on the Delta table at ``path``."""
    try:
        yield
    except Exception as exc:
        error = translate(exc, Path(path), root)
        if error is None:
            raise
        raise error from exc


#: A file system with less free space than this is taken as full after a failed write.
FULL_BELOW_BYTES = 1 << 20

R = TypeVar("R")


def on_table(method: Callable[..., R]) -> Callable[..., R]:
    """Decorate a store method: failures on ``self.path`` are translated by :func:`table_io`."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> R:
        lake = getattr(self, "lake", None)
        with table_io(self.path, getattr(lake, "root", None)):
            return method(self, *args, **kwargs)

    return wrapper


def _table_dirs(root: Path, table: str | None) -> list[Path]:
    zones = ("silver", "quarantine", "control")
    if table is not None:
        candidates = [root / zone / table for zone in zones]
    else:
        candidates = [
            t for zone in zones if (root / zone).is_dir() for t in (root / zone).iterdir()
        ]
    return sorted(p for p in candidates if (p / "_delta_log").is_dir())


def diagnose(
    exc: BaseException,
    *,
    lake_root: Path | None = None,
    table: str | None = None,
    other_roots: Sequence[Path] = (),
) -> PointlineError | None:
    """The last resort of the command line: explain an untranslated low-level ``exc`` from a
    command on ``lake_root`` (and ``table``), or on Bronze/source folders, or return None.

    Looks for a damaged table (one named ``table``, else every table of the lake), then for a
    file-system refusal naming the file the exception names.
    """
    if not is_low_level(exc):
        return None
    if lake_root is not None and lake_root.is_dir():
        for path in _table_dirs(lake_root, table):
            error = corrupt_table_error(exc, path)
            if error is not None:
                return error
    where = named_file(exc)
    if where is not None:
        lake = Path(os.path.abspath(lake_root)) if lake_root is not None else None
        root = lake if lake is not None and where.is_relative_to(lake) else None
        return environment_error(exc, where, root)
    if lake_root is not None:
        return environment_error(exc, lake_root, lake_root)
    for other in other_roots:
        error = environment_error(exc, other)
        if error is not None:
            return error
    return None


def write_failure(
    exc: BaseException, path: Path, root: Path | None = None
) -> PointlineError | None:
    """The specific error for a failed data-file write under ``path``: what :func:`translate`
    finds, or a full file system when the writer's error names no errno (polars reports a
    disk that filled up mid-file as a Parquet ``ComputeError``)."""
    error = translate(exc, path, root)
    if error is not None or not is_low_level(exc):
        return error
    try:
        stat = os.statvfs(existing_ancestor(path))
    except OSError:
        return None
    if stat.f_bavail * stat.f_frsize < FULL_BELOW_BYTES:
        return environment_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), path, root)
    return None
