"""Stage: the manifest gate. Decide per file: skip (already ingested) or (re)process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

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


def gate(
    files: Sequence[BronzeFile],
    identities: Sequence[FileIdentity],
    known: Mapping[FileIdentity, ManifestEntry],
    same_path: Mapping[tuple[str, str, str], Sequence[ManifestEntry]],
    force: bool,
) -> list[GateDecision]:
    """Pending and failed files are retried; done files are skipped unless ``force``.

    ``same_path`` holds manifest entries by (vendor, data_type, bronze_path): a done entry
    with another sha256 means the vendor re-delivered the file, and the new content replaces
    the old rows instead of adding to them.
    """
    decisions = []
    for file, identity in zip(files, identities, strict=True):
        existing = known.get(identity)
        skip = existing is not None and existing.status in DONE and not force
        older = tuple(
            e
            for e in same_path.get((identity.vendor, identity.data_type, identity.bronze_path), ())
            if e.sha256 != identity.sha256 and e.status in DONE
        )
        decisions.append(
            GateDecision(file, identity, file.path.stat().st_size, existing, skip, older)
        )
    return decisions
