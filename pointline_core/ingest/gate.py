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
    force: bool,
) -> list[GateDecision]:
    """Pending and failed files are retried; done files are skipped unless ``force``."""
    decisions = []
    for file, identity in zip(files, identities, strict=True):
        existing = known.get(identity)
        skip = existing is not None and existing.status in DONE and not force
        decisions.append(GateDecision(file, identity, file.path.stat().st_size, existing, skip))
    return decisions
