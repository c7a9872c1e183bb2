"""One-pass extraction of an upstream archive into a private work folder.

Solid archives (7z with LZMA2 solid blocks) must be decompressed front to back: reading one
member means decompressing everything before it in its block, so extracting members one at a
time is quadratic. Every archive is therefore extracted **once, whole**, into a temporary
folder, and the runner publishes the files from there.

Back ends, chosen per archive format:

- ``7z``: the 7-Zip command line (``7zz``, ``7z`` or ``7za``, the first found on ``PATH``)
  when available, otherwise :mod:`py7zr` with a single ``extractall``.
- ``zip``: the standard library's :mod:`zipfile`, one ``extractall``.

Some writers store permission bits ``000`` and py7zr applies them, so after extraction every
folder is set to ``0o700`` and every file to ``0o600`` before anything reads them.

Member names are screened first (:func:`screen_members`, from the archive's directory): a name
that is absolute or climbs out with ``..`` (py7zr refuses the whole archive over one such
name, the 7-Zip program silently rewrites it) and a name stored more than once (the copies
would overwrite each other) are left out of the extraction, so the caller can report them
while the rest of the archive is published.

The 7-Zip program runs with stdin closed and an empty password (``-p``): an encrypted
archive fails at once instead of waiting for a password nobody types. It runs with one
decoder thread (``-mmt=1``), which writes each member as soon as it is decoded (the
multi-threaded decoder writes them all at the end), so the runner can compress finished
members while the rest is decoded.

Work folders are named ``pointline-extract-<pid>-<random>`` so a run can recognise folders left
behind by a killed run (their pid is no longer alive) and remove them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import attrs

from pointline_core.errors import ArchiveError

Backend = Literal["auto", "cli", "py7zr"]

#: Names of 7-Zip command-line programs, in order of preference.
SEVEN_ZIP_PROGRAMS = ("7zz", "7z", "7za")
#: Prefix of the temporary folders archives are extracted into.
WORK_PREFIX = "pointline-extract-"
FILE_MODE = 0o600
# 7-Zip's exit code for a command-line error.
_CLI_USAGE_ERROR = 7
DIR_MODE = 0o700
# Work folders this process is using right now (a pid alone does not prove liveness: pids
# are reused, e.g. in containers).
_ACTIVE: set[str] = set()


@attrs.frozen(slots=True)
class Extracted:
    """The result of one extraction: the folder and the files found in it.

    ``members`` are the paths of every non-folder entry relative to ``root``, with ``/``
    separators, sorted; they equal the archive's member names.
    """

    root: Path
    members: tuple[str, ...]
    backend: str


def find_7z_cli() -> str | None:
    """Absolute path of the first 7-Zip command-line program on ``PATH``, or None."""
    for name in SEVEN_ZIP_PROGRAMS:
        found = shutil.which(name)
        if found:
            return found
    return None


def resolve_backend(fmt: str, backend: Backend = "auto") -> str:
    """The back end that will extract an archive of format ``fmt``: ``cli``, ``py7zr`` or
    ``zipfile``. Raises :class:`ArchiveError` for an unknown format or a missing program."""
    if fmt == "zip":
        return "zipfile"
    if fmt != "7z":
        raise ArchiveError(f"unsupported archive format {fmt!r}; supported: 7z, zip")
    if backend == "py7zr":
        return "py7zr"
    cli = find_7z_cli()
    if backend == "cli" and cli is None:
        raise ArchiveError(
            f"backend 'cli' asked for but none of {', '.join(SEVEN_ZIP_PROGRAMS)} is on PATH"
        )
    return "cli" if cli is not None else "py7zr"


def _read_error(archive: Path, exc: BaseException) -> ArchiveError:
    return ArchiveError(f"cannot read {archive.name}: {type(exc).__name__}: {exc}".rstrip(": "))


def list_members(archive: Path, fmt: str) -> list[str]:
    """Member file names from the archive's directory only (no decompression of data).

    Used by dry runs. A corrupt or truncated archive usually fails here already.
    """
    return sorted(e.name for e in read_directory(archive, fmt))


@attrs.frozen(slots=True)
class DirectoryEntry:
    """A member file as the archive's directory describes it: uncompressed size and CRC-32
    (None when the directory stores none)."""

    name: str
    size: int
    crc32: int | None


def read_directory(archive: Path, fmt: str) -> list[DirectoryEntry]:
    """Member files in the order they are stored (the order a one-pass extraction writes
    them), from the archive's directory only. Raises :class:`ArchiveError` like
    :func:`list_members`."""
    if fmt == "zip":
        try:
            with zipfile.ZipFile(archive) as zf:
                return [
                    DirectoryEntry(i.filename, i.file_size, i.CRC)
                    for i in zf.infolist()
                    if not i.is_dir()
                ]
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise _read_error(archive, exc) from exc
    if fmt != "7z":
        raise ArchiveError(f"unsupported archive format {fmt!r}; supported: 7z, zip")
    import py7zr

    try:
        with py7zr.SevenZipFile(archive, "r") as z:
            return [
                DirectoryEntry(f.filename, f.uncompressed, f.crc32)
                for f in z.list()
                if not f.is_directory
            ]
    except Exception as exc:  # noqa: BLE001 - py7zr raises many unrelated types on bad input
        raise _read_error(archive, exc) from exc


_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_member_reason(name: str) -> str | None:
    """Why ``name`` must not be extracted (absolute, ``..``, empty, NUL), or None.

    Backslashes count as separators here (some writers use them), so ``..\\x`` is unsafe too.
    """
    if not name or "\x00" in name:
        return "empty name or NUL byte"
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        return "absolute path"
    if ".." in path.split("/"):
        return "'..' path component"
    return None


def screen_members(names: list[str]) -> dict[str, str]:
    """Member names to leave out of an extraction, with the reason: unsafe paths
    (:func:`unsafe_member_reason`) and names stored more than once (which copy would land
    on disk is up to the extractor, so no copy is trusted)."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for name in names:
        why = unsafe_member_reason(name)
        if why is not None:
            out[name] = f"malformed member path ({why}); not extracted"
        elif name in seen:
            out[name] = "member name stored more than once; no copy extracted"
        seen.add(name)
    return out


def normalise_permissions(root: Path) -> None:
    """Make every extracted folder ``0o700`` and file ``0o600`` (stored modes can be 000)."""
    os.chmod(root, DIR_MODE)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                os.chmod(p, DIR_MODE)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, FILE_MODE)


def _walk_members(root: Path) -> tuple[str, ...]:
    out: list[str] = []
    for dirpath, _dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for f in filenames:
            rel = f if rel_dir == "." else f"{rel_dir}/{f}"
            out.append(rel.replace(os.sep, "/"))
    return tuple(sorted(out))


def _extract_cli(program: str, archive: Path, dest: Path, exclude: Collection[str] = ()) -> None:
    # -p: empty password, so an encrypted archive fails instead of prompting; stdin closed for
    # the same reason. -spd: exclusions are literal names, not wildcards. -mmt=1: the
    # multi-threaded decoder holds decoded members in memory and writes them at the end; with
    # one thread each member is written as soon as it is decoded (same speed for a solid
    # LZMA2 block), so the runner can compress it while the next ones are decoded.
    cmd = [program, "x", "-y", "-bd", "-bb0", "-p", "-mmt=1", f"-o{dest}"]
    if exclude:
        cmd += ["-spd", *(f"-x!{name}" for name in sorted(exclude))]
    cmd += ["--", str(archive)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    if proc.returncode == _CLI_USAGE_ERROR:
        # A 7-Zip build that refuses -mmt for extraction: the same, with its own threads.
        cmd.remove("-mmt=1")
        proc = subprocess.run(
            cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ArchiveError(
            f"cannot extract {archive.name}: {Path(program).name} exited with "
            f"{proc.returncode}: {' | '.join(tail) or 'no message'}"
        )


def _extract_py7zr(archive: Path, dest: Path, exclude: Collection[str] = ()) -> None:
    import py7zr

    try:
        with py7zr.SevenZipFile(archive, "r") as z:
            if exclude:
                # Still one pass: py7zr decodes the solid block once and skips the others.
                keep = [
                    n for n in z.getnames() if n not in exclude and unsafe_member_reason(n) is None
                ]
                z.extract(path=dest, targets=keep)
            else:
                z.extractall(path=dest)
    except Exception as exc:  # noqa: BLE001 - py7zr raises many unrelated types on bad input
        raise _read_error(archive, exc) from exc


def _extract_zip(archive: Path, dest: Path, exclude: Collection[str] = ()) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest, members=[i for i in zf.infolist() if i.filename not in exclude])
    except (zipfile.BadZipFile, EOFError, ValueError, zipfile.LargeZipFile) as exc:
        raise _read_error(archive, exc) from exc


def extract_archive(
    archive: Path,
    dest: Path,
    fmt: str,
    backend: Backend = "auto",
    exclude: Collection[str] = (),
) -> Extracted:
    """Extract ``archive`` completely, in one pass, into the empty folder ``dest``, leaving
    out the member names in ``exclude`` (see :func:`screen_members`).

    Returns the member files found afterwards. Raises :class:`ArchiveError` when the archive
    is corrupt, truncated, encrypted, of an unknown format, or the extraction program fails.
    """
    chosen = resolve_backend(fmt, backend)
    dest.mkdir(parents=True, exist_ok=True)
    if chosen == "cli":
        program = find_7z_cli()
        assert program is not None  # resolve_backend checked it
        _extract_cli(program, archive, dest, exclude)
    elif chosen == "py7zr":
        _extract_py7zr(archive, dest, exclude)
    else:
        _extract_zip(archive, dest, exclude)
    normalise_permissions(dest)
    return Extracted(dest, _walk_members(dest), chosen)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_pid(name: str, prefix: str) -> int | None:
    """The pid encoded in a ``<prefix><pid>-...`` name, or None."""
    if not name.startswith(prefix):
        return None
    head = name[len(prefix) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def clean_stale_work_dirs(parent: Path) -> list[Path]:
    """Remove work folders under ``parent`` whose owning process is gone; return them."""
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for entry in parent.iterdir():
        pid = owner_pid(entry.name, WORK_PREFIX)
        if pid is None or str(entry) in _ACTIVE or not entry.is_dir():
            continue
        if pid != os.getpid() and _pid_alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


@contextmanager
def work_dir(parent: Path | None = None) -> Iterator[Path]:
    """A fresh private folder ``<parent>/pointline-extract-<pid>-<random>``, removed on exit.

    ``parent`` defaults to the system temporary folder (``TMPDIR``). Folders of killed runs are
    removed first.
    """
    base = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    clean_stale_work_dirs(base)
    path = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=base))
    _ACTIVE.add(str(path))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        _ACTIVE.discard(str(path))
