"""Atomic, write-once publishing of extracted files into Bronze.

A file is first written (and gzip-compressed when its target name ends in ``.gz``) to a
temporary file **in the target's own folder**, flushed to disk, then given its final name in
one atomic step. A reader therefore sees either no file or the complete file under the final
name, never a partial one, whatever moment the process is killed.

Temporary names start with :data:`TEMP_PREFIX` followed by the writer's pid:
``.pointline-tmp-<pid>-<random>-<final name>``. Final names never start with that prefix (the
runner refuses such targets), so discovery can ignore temporary files by name, and the next
run removes those whose writer is gone (:func:`clean_stale_temps`).

Compression uses ISA-L's deflate (:mod:`isal`, a gzip-compatible encoder several times
faster than zlib) at :data:`GZIP_LEVEL`; the output is a standard single-member gzip file
whose header carries no file name and an mtime of 0, so the same input gives the same bytes
on every run. :func:`publish_files` publishes many files on a bounded thread pool (the
encoder releases the GIL), one temporary file per target as above. The two halves of
:func:`publish_file` are also available separately: :func:`prepare_file` writes the
temporary file (optionally without the ``fsync``) and :func:`commit_prepared` flushes it if
needed and gives it its final name, so a caller can write files early and publish them only
once it knows they should be (the runner does this while an archive is still being decoded).

An already published file is never rewritten. The final name is created with a hard link,
which fails if the name exists, so even two concurrent runs cannot overwrite each other; on
file systems without hard links the runner falls back to ``os.replace`` after an existence
check.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import attrs
from isal import isal_zlib

from pointline_core.resources import usable_cpus
from pointline_core.upstream.archive import _pid_alive, owner_pid

#: Prefix of every temporary file the publisher writes.
TEMP_PREFIX = ".pointline-tmp-"
#: ISA-L deflate level (0-3) used when publishing to a ``.gz`` target; chosen from the
#: size/time table in docs/architecture.md ("Extraction throughput").
GZIP_LEVEL = 1
# wbits 16 + 15: gzip container, 32 KiB window.
_GZIP_WBITS = 31
_CHUNK = 1 << 20
_T = TypeVar("_T")
_R = TypeVar("_R")
_NO_LINK = {errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK}
# Temporary files this process is writing right now (pids are reused, e.g. in containers, so
# "my pid" alone does not prove a temporary file is live).
_ACTIVE: set[str] = set()


def is_temp_name(name: str) -> bool:
    """True for the basename of a publisher's temporary file."""
    return name.startswith(TEMP_PREFIX)


def temp_path_for(dest: Path) -> Path:
    """A fresh temporary path next to ``dest``."""
    return dest.parent / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}-{dest.name}"


def publish_threads() -> int:
    """Threads :func:`publish_files` uses: the CPUs this process may run on."""
    return usable_cpus()


def _write(src: Path, tmp: Path, compress: bool, fsync: bool) -> tuple[int, int]:
    """Write ``src`` (compressed or not) to ``tmp``; return (CRC-32, size) of ``src``'s
    bytes as read."""
    crc = size = 0
    with open(src, "rb") as fin, open(tmp, "xb") as raw:
        if compress:
            # The gzip container written by the encoder has no file name and mtime 0, so the
            # header holds no run-specific bytes.
            encoder = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, _GZIP_WBITS)
            while chunk := fin.read(_CHUNK):
                crc = isal_zlib.crc32(chunk, crc)
                size += len(chunk)
                raw.write(encoder.compress(chunk))
            raw.write(encoder.flush())
        else:
            while chunk := fin.read(_CHUNK):
                crc = isal_zlib.crc32(chunk, crc)
                size += len(chunk)
                raw.write(chunk)
        raw.flush()
        if fsync:
            os.fsync(raw.fileno())
    return crc, size


@attrs.frozen(slots=True)
class Prepared:
    """A file written to its temporary name next to ``dest`` but not published yet
    (:func:`prepare_file`); ``crc32`` and ``size`` describe the source bytes it holds."""

    tmp: Path
    dest: Path
    crc32: int
    size: int
    synced: bool = True


def prepare_file(
    src: Path, dest: Path, *, compress: bool | None = None, fsync: bool = True
) -> Prepared | None:
    """First half of :func:`publish_file`: write ``src`` to a temporary file next to ``dest``
    (flushed to disk); None when ``dest`` already exists. Publish it with
    :func:`commit_prepared` or drop it with :func:`discard_prepared`."""
    if dest.exists():
        return None
    if compress is None:
        compress = dest.name.endswith(".gz") and not src.name.endswith(".gz")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(dest)
    _ACTIVE.add(str(tmp))
    try:
        crc, size = _write(src, tmp, compress, fsync)
    except BaseException:
        discard_prepared(Prepared(tmp, dest, 0, 0))
        raise
    return Prepared(tmp, dest, crc, size, synced=fsync)


def commit_prepared(prepared: Prepared) -> bool:
    """Give a prepared file its final name atomically; False (and the temporary file is
    removed) when the name exists already. The temporary name is removed either way."""
    tmp, dest = prepared.tmp, prepared.dest
    try:
        if not prepared.synced:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        try:
            os.link(tmp, dest)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            if dest.exists():
                return False
            os.replace(tmp, dest)
        return True
    finally:
        discard_prepared(prepared)


def discard_prepared(prepared: Prepared) -> None:
    """Remove a prepared file's temporary name (nothing was published)."""
    prepared.tmp.unlink(missing_ok=True)
    _ACTIVE.discard(str(prepared.tmp))


def publish_file(
    src: Path, dest: Path, *, compress: bool | None = None, fsync: bool = True
) -> bool:
    """Publish ``src`` as ``dest`` atomically; return False (and write nothing) if ``dest``
    already exists.

    ``compress`` defaults to "``dest`` ends in ``.gz`` and ``src`` does not". Parent folders
    are created as needed.
    """
    prepared = prepare_file(src, dest, compress=compress, fsync=fsync)
    return prepared is not None and commit_prepared(prepared)


def publish_files(
    pairs: Sequence[tuple[Path, Path]], *, threads: int | None = None, fsync: bool = True
) -> list[bool]:
    """:func:`publish_file` for every ``(src, dest)`` pair, on up to ``threads`` threads
    (default :func:`publish_threads`); returns the results in the order of ``pairs``.

    When files fail, the exception of the first failing pair (in the order of ``pairs``) is
    re-raised once the files already started have finished; files not started by then are
    not published.
    """
    return _on_pool(lambda pair: publish_file(*pair, fsync=fsync), pairs, threads)


def commit_all(prepared: Sequence[Prepared], *, threads: int | None = None) -> list[bool]:
    """:func:`commit_prepared` for each prepared file, on the pool as :func:`publish_files`
    (each waits on its own ``fsync`` when it was prepared without one)."""
    return _on_pool(commit_prepared, prepared, threads)


def _on_pool(fn: Callable[[_T], _R], items: Sequence[_T], threads: int | None) -> list[_R]:
    """``fn`` over ``items`` on up to ``threads`` (default: one per CPU) threads, results in
    order; the first error is re-raised once the started calls finished."""
    n = min(threads or publish_threads(), len(items))
    if n <= 1:
        return [fn(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="pointline-publish")
    try:
        futures: list[Future[_R]] = [pool.submit(fn, item) for item in items]
        return [f.result() for f in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def fsync_dirs(dirs: Iterable[Path], stop: Path) -> int:
    """Flush the entries of every folder in ``dirs`` and of its ancestors up to and
    including ``stop`` to disk (a renamed or linked file is only durable once its folder is,
    and ``mkdir`` added new folders to their parents). Returns the number of folders flushed.

    File systems that cannot ``fsync`` a folder are tolerated.
    """
    stop = Path(stop)
    todo: set[Path] = set()
    for directory in dirs:
        d = Path(directory)
        if not d.is_relative_to(stop):
            todo.add(d)
            continue
        while d not in todo:
            todo.add(d)
            if d == stop:
                break
            d = d.parent
    # One fsync per folder waits on the disk, not the CPU: overlap them.
    _on_pool(_fsync_dir, sorted(todo), None)
    return len(todo)


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def clean_stale_temps(directory: Path) -> list[Path]:
    """Delete temporary files in ``directory`` (not recursive) whose writer is no longer
    running; return what was deleted. Temporary files of live writers are left alone."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return removed
    for entry in entries:
        if not is_temp_name(entry.name):
            continue
        if entry.path in _ACTIVE:
            continue
        pid = owner_pid(entry.name, TEMP_PREFIX)
        if pid is not None and pid != os.getpid() and _pid_alive(pid):
            continue
        path = Path(entry.path)
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed
