"""``pointline ingest`` and ``pointline manifest``."""

from __future__ import annotations

import argparse
from pathlib import Path

from pointline_core.cli import exit_codes
from pointline_core.cli.arguments import iso_date, require_lake
from pointline_core.cli.output import print_json, print_table
from pointline_core.ingest.report import IngestReport
from pointline_core.ingest.select import FileSelection
from pointline_core.storage.manifest import STATUSES


def print_report(report: IngestReport) -> None:
    """The human summary: files by status, rows per table, reasons, elapsed time."""
    mode = " (dry run: nothing written)" if report.dry_run else ""
    print(f"ingest {report.bronze_root} -> {report.lake_root}{mode}")
    print(f"{report.message}; {report.elapsed_s:.2f}s")
    if report.workers_limit:
        print(f"workers: {report.workers_limit}")
    if report.worker_peak_rss_mb:
        peaks = ", ".join(f"{w.peak_rss_mb:.0f}" for w in report.worker_peak_rss_mb)
        print(
            f"executor {report.executor}, {len(report.worker_peak_rss_mb)} worker process(es); "
            f"peak RSS MiB: {peaks}"
        )
    statuses = report.by_status()
    if statuses:
        print("files: " + ", ".join(f"{n} {s}" for s, n in statuses.items()))
    if report.tables:
        print()
        print_table(
            ["table", "files", "rows written", "rows quarantined", "commits"],
            [
                [t.table, t.files, f"{t.rows_written:,}", f"{t.rows_quarantined:,}", t.commits]
                for t in report.tables
            ],
        )
    for status, title in (("failed", "failed files"), ("duplicate", "duplicates (not written)")):
        listed = [f for f in report.files if f.status == status]
        if listed:
            print(f"\n{title}:")
            for f in listed:
                print(f"  {f.rel_path}: {f.reason}")
    reasons: dict[str, int] = {}
    for f in report.files:
        for reason, n in f.quarantine_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    if reasons:
        print("\nquarantine reasons:")
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            print(f"  {reason}: {n:,} rows")
    if report.unrecognised:
        print(f"\nunrecognised files ({len(report.unrecognised)}):")
        for u in report.unrecognised[:20]:
            print(f"  {u.rel_path}: {u.reason}")
        if len(report.unrecognised) > 20:
            print(f"  ... and {len(report.unrecognised) - 20} more (see --json)")
    for e in report.vendor_errors:
        print(f"\nvendor {e.vendor} failed at {e.stage}: {e.error}")
    if report.selection is not None:
        _print_selected(report)


def _print_selected(report: IngestReport) -> None:
    """A targeted run lists its files (a dry run: the files it would re-ingest)."""
    chosen = [f for f in report.files if f.status != "skipped"]
    verb = "would be ingested" if report.dry_run else "ingested"
    print(f"\nselected files ({len(report.files)}; {len(chosen)} {verb}):")
    for f in report.files:
        print(f"  {f.rel_path}  {f.status}  {f.table or ''}")


def _ingest(args: argparse.Namespace) -> int:
    from pointline_core.ingest.runner import ingest

    report = ingest(
        Path(args.bronze),
        Path(args.lake),
        vendors=args.vendor or None,
        force=args.force,
        retry_quarantined=args.retry_quarantined,
        dry_run=args.dry_run,
        progress=not args.json,
        rehash=args.rehash,
        allow_duplicate_content=args.allow_duplicate_content,
        workers=args.workers,
        executor=args.executor,
        ray_address=args.ray_address,
        selection=FileSelection(
            table=args.table,
            exchange=args.exchange,
            date_from=args.date_from,
            date_to=args.date_to,
            path_glob=args.path,
        ),
    )
    if args.json:
        print_json(report)
    else:
        print_report(report)
    return exit_code(report)


def exit_code(report: IngestReport) -> int:
    """1 if a file failed (or a vendor's plugin did), else 3 if this run quarantined rows of
    some file (a dry run: would), else 0 (see :mod:`pointline_core.cli.exit_codes`)."""
    if not report.ok:
        return exit_codes.FILES_FAILED
    if any(
        f.status == "quarantined" or f.rows_quarantined
        for f in report.files
        if f.status != "skipped"
    ):
        return exit_codes.ROWS_QUARANTINED
    return exit_codes.OK


def _manifest(args: argparse.Namespace) -> int:
    from pointline_core.storage.lake import Lake
    from pointline_core.storage.manifest import ManifestStore

    entries = ManifestStore(Lake(require_lake(args.lake))).entries(status=args.status)
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        print("no manifest entries" + (f" with status {args.status}" if args.status else ""))
        return 0
    print_table(
        [
            "file_id",
            "vendor",
            "data_type",
            "status",
            "rows",
            "written",
            "quarantined",
            "bronze_path",
            "reason",
        ],
        [
            [
                e.file_id,
                e.vendor,
                e.data_type,
                e.status,
                e.rows_total,
                e.rows_written,
                e.rows_quarantined,
                e.bronze_path,
                e.status_reason,
            ]
            for e in entries
        ],
    )
    return 0


def add_selection_arguments(p: argparse.ArgumentParser) -> None:
    """Filters of a targeted backfill (docs/operations.md)."""
    p.add_argument("--table", help="only files whose rows go to this table")
    p.add_argument("--exchange", help="only files that wrote rows of this exchange")
    p.add_argument(
        "--from",
        dest="date_from",
        type=iso_date,
        metavar="DATE",
        help="only files with rows on or after this trading date (YYYY-MM-DD)",
    )
    p.add_argument(
        "--to",
        dest="date_to",
        type=iso_date,
        metavar="DATE",
        help="only files with rows on or before this trading date (YYYY-MM-DD)",
    )
    p.add_argument(
        "--path",
        metavar="GLOB",
        help="only files whose path relative to BRONZE matches this glob (* also matches /)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="ingest new Bronze files into the lake")
    p.add_argument("bronze", help="Bronze root (one folder per vendor)")
    p.add_argument("lake", help="lake root")
    p.add_argument("--vendor", action="append", help="only this vendor (repeatable)")
    p.add_argument("--force", action="store_true", help="re-ingest files already ingested")
    p.add_argument(
        "--retry-quarantined",
        action="store_true",
        help="re-ingest files that had rows quarantined (e.g. after importing missing symbols)",
    )
    p.add_argument("--dry-run", action="store_true", help="walk every stage, write nothing")
    p.add_argument(
        "--rehash",
        action="store_true",
        help="hash every file even when its size and mtime match the manifest",
    )
    p.add_argument(
        "--allow-duplicate-content",
        action="store_true",
        help="ingest a file even when the same content already landed from another path "
        "(by default such a file is recorded as duplicate and not written)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=(
            "worker processes (default: one per CPU this process may use, as many as free "
            "memory holds at 1 GiB each; 1 runs everything in this process)"
        ),
    )
    p.add_argument(
        "--executor",
        choices=["serial", "process", "ray"],
        help="where units run (default: process when --workers > 1, else serial)",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="Ray cluster to use with --executor ray (default: RAY_ADDRESS, else a local Ray)",
    )
    add_selection_arguments(p)
    p.add_argument("--json", action="store_true", help="print the run report as JSON")
    p.set_defaults(func=_ingest)
    p = sub.add_parser("manifest", help="list ingested files and why any failed")
    p.add_argument("lake", help="lake root")
    p.add_argument("--status", choices=list(STATUSES), help="only entries with this status")
    p.add_argument("--json", action="store_true", help="print entries as JSON")
    p.set_defaults(func=_manifest)
