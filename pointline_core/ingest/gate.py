"""Stage: the manifest gate. Decide per file: skip (already ingested) or (re)process."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import attrs

from pointline_core.hashing import sha256_file
from pointline_core.ingest.report import FileResult
from pointline_core.models import BronzeFile
from pointline_core.storage.manifest import FileIdentity, ManifestEntry

#: Statuses after which a file is complete; rerunning skips it unless forced.
DONE = ("success", "quarantined")


@attrs.frozen(slots=True)
class GateDecision:
    file: BronzeFile
    identity: FileIdentity
    size: int
    mtime_ns: int
    existing: ManifestEntry | None
    skip: bool
    #: done entries of the same (vendor, data_type, path) with other content: their rows are
    #: replaced by this file's once it is written
    supersedes: tuple[ManifestEntry, ...] = ()

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


def identify(
    files: Sequence[BronzeFile],
    by_path: Mapping[tuple[str, str, str], Sequence[ManifestEntry]],
    rehash: bool,
) -> list[Identified]:
    """Each file's identity. Hashing every file on every run costs a full read of the Bronze
    root (about 35 minutes per TB here), so a file whose size and mtime equal those recorded
    for the newest manifest entry at its path reuses that entry's sha256 (the rule rsync and
    make use; ``rehash`` turns it off). Everything else is hashed.
    """
    out = []
    for file in files:
        st = file.path.stat()
        entries = by_path.get((file.vendor, file.data_type, file.rel_path), ())
        newest = max(entries, key=lambda e: (e.created_at_us, e.file_id), default=None)
        if (
            not rehash
            and newest is not None
            and newest.size_bytes == st.st_size
            and newest.mtime_ns == st.st_mtime_ns
        ):
            out.append(Identified(newest.identity, st.st_size, st.st_mtime_ns, hashed=False))
            continue
        identity = FileIdentity(file.vendor, file.data_type, file.rel_path, sha256_file(file.path))
        out.append(Identified(identity, st.st_size, st.st_mtime_ns, hashed=True))
    return out


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
        skip = existing is not None and existing.status in DONE and existing.status not in redo
        older = tuple(
            e
            for e in same_path.get((identity.vendor, identity.data_type, identity.bronze_path), ())
            if e.sha256 != identity.sha256 and e.status in DONE
        )
        decisions.append(
            GateDecision(file, identity, ident.size, ident.mtime_ns, existing, skip, older)
        )
    return decisions


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
