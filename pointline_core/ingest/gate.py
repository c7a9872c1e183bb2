"""Stage: the manifest gate. Decide per file: skip (already ingested), settle it here
(unreadable: failed; the same content already landed from another path: duplicate) or
(re)process it."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence

import attrs

from pointline_core.hashing import sha256_files
from pointline_core.ingest.failure import unreadable_reason
from pointline_core.ingest.progress import Progress
from pointline_core.ingest.report import FileResult
from pointline_core.models import BronzeFile
from pointline_core.storage.manifest import FileIdentity, ManifestEntry

#: Statuses after which a file is complete; rerunning skips it unless forced.
DONE = ("success", "quarantined")
#: The sha256 recorded for a file that could not be read (not hex, so never a real hash):
#: the failure is in the manifest, and once the file is readable its real identity
#: supersedes this entry.
UNREADABLE = "unreadable"

ContentKey = tuple[str, str, str, str]


def content_key(identity: FileIdentity) -> ContentKey:
    """What two paths share when they hold the same file: (vendor, data_type, file name,
    sha256). The file name is part of it because plugins may read facts from it (a symbol,
    a day) that the rows do not repeat: two symbols' files with identical bytes are not
    copies of one another; the same name and bytes in another folder are."""
    name = identity.bronze_path.rsplit("/", 1)[-1]
    return (identity.vendor, identity.data_type, name, identity.sha256)


@attrs.frozen(slots=True)
class GateDecision:
    file: BronzeFile
    identity: FileIdentity
    size: int
    mtime_ns: int
    existing: ManifestEntry | None
    skip: bool
    #: done entries of the same (vendor, data_type, path) with other content: their rows are
    #: replaced by this file's once it is written (and failed ``unreadable`` entries there)
    supersedes: tuple[ManifestEntry, ...] = ()
    #: the file could not be read: the failure reason (the file fails without a parse)
    unreadable: str | None = None
    #: the path whose identical content already landed: this file is a duplicate
    duplicate_of: str | None = None
    #: an earlier path of this run with identical content: a duplicate once that one has
    #: landed rows (decided after it is processed)
    copy_of: str | None = None

    @property
    def settled(self) -> bool:
        """Decided at the gate: nothing to parse or write."""
        return not self.skip and (self.unreadable is not None or self.duplicate_of is not None)

    def skipped_result(self) -> FileResult:
        e = self.existing
        assert e is not None
        return FileResult(
            vendor=self.file.vendor,
            data_type=self.file.data_type,
            rel_path=self.file.rel_path,
            file_id=e.file_id,
            status="skipped",
            table=e.table_name,
            rows_total=e.rows_total or 0,
            reason=f"already ingested ({e.status})",
        )


@attrs.frozen(slots=True)
class Identified:
    """A discovered file's identity, and how it was obtained."""

    identity: FileIdentity
    size: int
    mtime_ns: int
    hashed: bool
    #: why the file could not be read (its identity then has sha256 :data:`UNREADABLE`)
    unreadable: str | None = None


Stat = os.stat_result | OSError


def stat_files(files: Sequence[BronzeFile]) -> list[Stat]:
    """Each file's stat, or the error that stopped it (read once per run: the warm-up sizes
    new files from it, :func:`identify` decides from it)."""
    stats: list[Stat] = []
    for file in files:
        try:
            stats.append(file.path.stat())
        except OSError as exc:
            stats.append(exc)
    return stats


def identify(
    files: Sequence[BronzeFile],
    stats: Sequence[Stat],
    by_path: Mapping[tuple[str, str, str], Sequence[ManifestEntry]],
    rehash: bool,
    threads: int = 1,
    progress: Progress | None = None,
) -> list[Identified]:
    """Each file's identity. Hashing every file on every run costs a full read of the Bronze
    root (about 35 minutes per TB on one core here), so a file whose size and mtime equal
    those recorded for the newest manifest entry at its path reuses that entry's sha256 (the
    rule rsync and make use; ``rehash`` turns it off; ``stats`` are :func:`stat_files` of
    ``files``). Everything else is hashed, on up to ``threads`` threads, each path once (a file
    listed once per data type is read once), shown on ``progress``.
    """
    reuse = [
        None if rehash or isinstance(st, OSError) else _unchanged_entry(file, st, by_path)
        for file, st in zip(files, stats, strict=True)
    ]
    todo = {
        f.path: st.st_size
        for f, st, old in zip(files, stats, reuse, strict=True)
        if old is None and not isinstance(st, OSError)
    }
    sizes = list(todo.values())
    shown = progress.hashing(len(todo), sum(sizes)) if progress is not None and todo else None
    hashes = dict(zip(todo, sha256_files(list(todo), sizes, threads, shown), strict=True))
    out = []
    for file, st, old in zip(files, stats, reuse, strict=True):
        if isinstance(st, OSError):
            out.append(_unreadable(file, st, 0, 0))
        elif old is not None:
            out.append(Identified(old.identity, st.st_size, st.st_mtime_ns, hashed=False))
        elif isinstance(sha := hashes[file.path], OSError):
            out.append(_unreadable(file, sha, st.st_size, st.st_mtime_ns))
        else:
            identity = FileIdentity(file.vendor, file.data_type, file.rel_path, sha)
            out.append(Identified(identity, st.st_size, st.st_mtime_ns, hashed=True))
    return out


def _unchanged_entry(
    file: BronzeFile,
    st: os.stat_result,
    by_path: Mapping[tuple[str, str, str], Sequence[ManifestEntry]],
) -> ManifestEntry | None:
    """The newest hashed manifest entry at the file's path when its size and mtime still
    match (its sha256 is reused), else None."""
    entries = by_path.get((file.vendor, file.data_type, file.rel_path), ())
    # An unreadable entry has no content hash to reuse.
    hashed_entries = [e for e in entries if e.sha256 != UNREADABLE]
    newest = max(hashed_entries, key=lambda e: (e.created_at_us, e.file_id), default=None)
    if newest is None or (newest.size_bytes, newest.mtime_ns) != (st.st_size, st.st_mtime_ns):
        return None
    return newest


def _unreadable(file: BronzeFile, exc: OSError, size: int, mtime_ns: int) -> Identified:
    identity = FileIdentity(file.vendor, file.data_type, file.rel_path, UNREADABLE)
    return Identified(identity, size, mtime_ns, False, unreadable_reason(file.path, exc))


def gate(
    files: Sequence[BronzeFile],
    identified: Sequence[Identified],
    known: Mapping[FileIdentity, ManifestEntry],
    same_path: Mapping[tuple[str, str, str], Sequence[ManifestEntry]],
    redo: Collection[str] = (),
) -> list[GateDecision]:
    """Pending and failed files are retried; done files are skipped unless their status is in
    ``redo`` (``force`` redoes every done status; ``retry_quarantined`` only ``quarantined``).

    ``same_path`` holds manifest entries by (vendor, data_type, bronze_path): a done entry
    with another sha256 means the vendor re-delivered the file, and the new content replaces
    the old rows instead of adding to them.
    """
    decisions = []
    for file, ident in zip(files, identified, strict=True):
        identity = ident.identity
        existing = known.get(identity)
        if ident.unreadable is not None:
            decisions.append(
                GateDecision(
                    file,
                    identity,
                    ident.size,
                    ident.mtime_ns,
                    existing,
                    skip=False,
                    unreadable=ident.unreadable,
                )
            )
            continue
        skip = existing is not None and existing.status in DONE and existing.status not in redo
        older = tuple(
            e
            for e in same_path.get((identity.vendor, identity.data_type, identity.bronze_path), ())
            if e.sha256 != identity.sha256
            and (e.status in DONE or (e.sha256 == UNREADABLE and e.status == "failed"))
        )
        decisions.append(
            GateDecision(file, identity, ident.size, ident.mtime_ns, existing, skip, older)
        )
    return decisions


def mark_duplicates(
    decisions: Sequence[GateDecision], landed: Mapping[ContentKey, Sequence[str]]
) -> list[GateDecision]:
    """Mark files whose content (vendor, data_type, file name, sha256: a copy of the file in
    another folder) is already in the lake from another path, so no row lands twice.

    ``landed`` maps content to the Bronze paths of done manifest entries that wrote rows.
    A file whose content landed from another path (one this run does not process again) is
    a ``duplicate_of`` that path. Among files of this run with the same content
    (``decisions`` are in path order), the first is processed and the others are its
    ``copy_of``: the runner makes them duplicates once
    it has written rows (a copy of a file with no rows, such as the empty gzip a vendor
    sends for a day without data, doubles nothing and is ingested like any file). Zero-byte
    files are never duplicates.
    """
    # A landed path that this run processes again with the same content (forced) is
    # ordered with the run's files instead: otherwise two forced copies would each be the
    # other's duplicate.
    again = {
        (content_key(d.identity), d.identity.bronze_path)
        for d in decisions
        if not d.skip and d.unreadable is None
    }
    first: dict[ContentKey, str] = {}
    out = []
    for d in decisions:
        if d.unreadable is not None or d.size == 0:
            out.append(d)
            continue
        key = content_key(d.identity)
        path = d.identity.bronze_path
        elsewhere = [p for p in landed.get(key, ()) if p != path and (key, p) not in again]
        if d.skip:
            first.setdefault(key, path)
            out.append(d)
        elif elsewhere:
            out.append(attrs.evolve(d, duplicate_of=elsewhere[0]))
        elif key in first:
            out.append(attrs.evolve(d, copy_of=first[key]))
        else:
            first[key] = path
            out.append(d)
    return out


def stale_stats(
    identified: Sequence[Identified], known: Mapping[FileIdentity, ManifestEntry]
) -> list[tuple[int, int, int]]:
    """(file_id, size, mtime_ns) of known files hashed again because their stat moved, so the
    manifest can remember the new stat and the next run skips hashing them."""
    return [
        (e.file_id, i.size, i.mtime_ns)
        for i in identified
        if i.hashed
        and (e := known.get(i.identity)) is not None
        and (e.size_bytes, e.mtime_ns) != (i.size, i.mtime_ns)
    ]
