"""Stage: manifest status. What a file's outcome writes to the manifest and validation log."""

from __future__ import annotations

from pointline_core.ingest.gate import UNREADABLE
from pointline_core.ingest.report import FileResult
from pointline_core.ingest.transform import FileStats
from pointline_core.models import BronzeFile
from pointline_core.storage.manifest import ManifestEntry, StatusUpdate
from pointline_core.storage.validation_log import ValidationOutcome


def _public_id(file_id: int) -> int | None:
    # Dry runs use negative provisional ids for new files; reports show them as None.
    return file_id if file_id >= 0 else None


def failed_result(file: BronzeFile, file_id: int, reason: str) -> FileResult:
    return FileResult(
        vendor=file.vendor,
        data_type=file.data_type,
        rel_path=file.rel_path,
        file_id=_public_id(file_id),
        status="failed",
        reason=reason,
    )


def duplicate_reason(first_path: str) -> str:
    return (
        f"duplicate: same content as {first_path} (not written again; delete one copy, or "
        "ingest with --allow-duplicate-content to keep both)"
    )


def duplicate_result(file: BronzeFile, file_id: int, first_path: str) -> FileResult:
    """A file whose content already landed from ``first_path``: recorded, not written."""
    return FileResult(
        vendor=file.vendor,
        data_type=file.data_type,
        rel_path=file.rel_path,
        file_id=_public_id(file_id),
        status="duplicate",
        reason=duplicate_reason(first_path),
    )


def finished_result(file: BronzeFile, file_id: int, table: str, stats: FileStats) -> FileResult:
    """``quarantined`` when any row went to quarantine, else ``success``; both are done."""
    return FileResult(
        vendor=file.vendor,
        data_type=file.data_type,
        rel_path=file.rel_path,
        file_id=_public_id(file_id),
        status="quarantined" if stats.rows_quarantined else "success",
        table=table,
        rows_total=stats.rows_total,
        rows_written=stats.rows_written,
        rows_quarantined=stats.rows_quarantined,
        trading_date_min=stats.date_min,
        trading_date_max=stats.date_max,
        quarantine_reasons=dict(sorted(stats.reasons.items())),
    )


def status_update(r: FileResult) -> StatusUpdate:
    assert r.file_id is not None, "dry-run results are never written"
    return StatusUpdate(
        file_id=r.file_id,
        status=r.status,
        table_name=r.table,
        rows_total=r.rows_total,
        rows_written=r.rows_written,
        rows_quarantined=r.rows_quarantined,
        trading_date_min=r.trading_date_min,
        trading_date_max=r.trading_date_max,
        status_reason=r.reason
        or (", ".join(f"{k}={v}" for k, v in r.quarantine_reasons.items()) or None),
    )


def reopen_update(file_id: int) -> StatusUpdate:
    """Back to ``pending`` before a done or failed file's old rows are deleted."""
    return StatusUpdate(
        file_id, "pending", None, None, None, None, None, None, "re-ingest in progress"
    )


def superseded_update(old: ManifestEntry, new_file_id: int) -> StatusUpdate:
    """The old entry of a re-delivered path keeps its counts and names its replacement."""
    if old.sha256 == UNREADABLE:
        return StatusUpdate(
            old.file_id,
            "superseded",
            status_reason=f"readable again: its content is file_id {new_file_id}",
        )
    return StatusUpdate(
        old.file_id,
        "superseded",
        old.table_name,
        old.rows_total,
        old.rows_written,
        old.rows_quarantined,
        old.trading_date_min,
        old.trading_date_max,
        f"content changed: rows replaced by file_id {new_file_id}",
    )


def validation_outcomes(r: FileResult, s: FileStats) -> list[ValidationOutcome]:
    """One validation-log row per rule that matched rows of this file."""
    if r.table is None or r.file_id is None:
        return []
    rejects = [
        ValidationOutcome(r.file_id, r.table, rule, "reject", n, s.samples[rule])
        for rule, n in sorted(s.reasons.items())
    ]
    warns = [
        ValidationOutcome(r.file_id, r.table, rule, "warn", n, None)
        for rule, n in sorted(s.warnings.items())
    ]
    return rejects + warns
