"""The run report: what happened to every file, and totals per table."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import attrs

from pointline_core.ingest.select import FileSelection
from pointline_core.models import Unrecognised


@attrs.frozen(slots=True)
class FileResult:
    """Outcome for one discovered Bronze file.

    ``status`` is the manifest status written (``success``, ``quarantined``, ``failed``,
    ``duplicate``: the same content already landed from the path ``reason`` names, nothing
    written) or ``skipped`` (already ingested, nothing done) or, in a dry run, what would
    have been written.
    """

    vendor: str
    data_type: str
    rel_path: str
    file_id: int | None
    status: str
    table: str | None = None
    rows_total: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    trading_date_min: dt.date | None = None
    trading_date_max: dt.date | None = None
    reason: str | None = None
    quarantine_reasons: dict[str, int] = attrs.field(factory=dict)


@attrs.frozen(slots=True)
class VendorError:
    """A plugin failed as a whole for this run (for example its discover hook raised)."""

    vendor: str
    stage: str
    error: str


@attrs.frozen(slots=True)
class TableTotals:
    table: str
    rows_written: int
    rows_quarantined: int
    files: int
    commits: int


@attrs.frozen(slots=True)
class WorkerPeak:
    """A worker process (host:pid) and its peak resident memory over the run, in MiB."""

    worker: str
    peak_rss_mb: float


@attrs.frozen(slots=True)
class IngestReport:
    """What ``ingest`` did (or, with ``dry_run``, would do). ``executor`` and ``workers`` say
    where units ran; ``worker_peak_rss_mb`` lists each worker process (the driver's own
    process when units ran in it)."""

    bronze_root: str
    lake_root: str
    dry_run: bool
    force: bool
    started_at: str
    elapsed_s: float
    files: list[FileResult]
    unrecognised: list[Unrecognised]
    vendor_errors: list[VendorError]
    tables: list[TableTotals]
    message: str
    executor: str = "serial"
    workers: int = 1
    #: why the default number of workers is below one per CPU (memory), else None
    workers_limit: str | None = None
    worker_peak_rss_mb: tuple[WorkerPeak, ...] = ()
    #: the filters of a targeted run (``None``: every discovered file was considered)
    selection: FileSelection | None = None

    def by_status(self) -> dict[str, int]:
        return dict(sorted(Counter(f.status for f in self.files).items()))

    @property
    def ok(self) -> bool:
        """True when no file failed and no plugin failed."""
        return not self.vendor_errors and all(f.status != "failed" for f in self.files)


def summarise(files: list[FileResult], commits: Counter[str]) -> list[TableTotals]:
    """Per-table totals over the files that were processed in this run."""
    tables: dict[str, list[FileResult]] = {}
    for f in files:
        if f.table is not None and f.status != "skipped":
            tables.setdefault(f.table, []).append(f)
    return [
        TableTotals(
            table=name,
            rows_written=sum(f.rows_written for f in rows),
            rows_quarantined=sum(f.rows_quarantined for f in rows),
            files=len(rows),
            commits=commits.get(name, 0),
        )
        for name, rows in sorted(tables.items())
    ]


def message_for(files: list[FileResult], dry_run: bool) -> str:
    done = [f for f in files if f.status not in ("skipped", "duplicate")]
    duplicates = sum(f.status == "duplicate" for f in files)
    dup = f"; {duplicates} duplicate(s) of ingested content, not written" if duplicates else ""
    if not files:
        return "no Bronze files found"
    if not done:
        skipped = len(files) - duplicates
        return f"nothing new: all {skipped} file(s) were already ingested{dup}; nothing written"
    verb = "would ingest" if dry_run else "ingested"
    failed = sum(f.status == "failed" for f in done)
    tail = f", {failed} failed" if failed else ""
    skipped = len(files) - len(done) - duplicates
    return f"{verb} {len(done) - failed} file(s){tail}; {skipped} skipped{dup}"
