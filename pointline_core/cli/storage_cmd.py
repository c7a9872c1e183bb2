"""``pointline compact``, ``pointline vacuum`` and ``pointline migrate``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pointline_core.cli.arguments import require_lake
from pointline_core.cli.output import print_json, print_table
from pointline_core.errors import MaintenanceError
from pointline_core.storage.lake import ZONES, Lake

__all__ = ["register"]

#: How a null partition value is written on disk and on the command line.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def parse_partition(text: str) -> dict[str, str | None]:
    """``exchange=x,trading_date=2024-01-02`` (or ``/``-separated, as on disk) -> dict."""
    values: dict[str, str | None] = {}
    for term in text.replace("/", ",").split(","):
        if not term.strip():
            continue
        key, sep, value = term.partition("=")
        if not sep or not key.strip():
            raise MaintenanceError(
                f"bad --partition {text!r}: write key=value pairs separated by commas, "
                "e.g. exchange=EX,trading_date=2024-05-01"
            )
        value = value.strip()
        values[key.strip()] = None if value == NULL_PARTITION else value
    return values


def _compact(args: argparse.Namespace) -> int:
    from pointline_core.query.specs import table_spec
    from pointline_core.storage.maintenance import DEFAULT_MIN_FILES, compact_partitions

    spec = table_spec(args.table)  # core, Gold, then the installed plugins' tables
    partitions = [parse_partition(p) for p in args.partition or []]
    if not partitions:
        if spec.partition_by and args.zone != "control":
            raise MaintenanceError(
                f"table {args.table!r} is partitioned by {list(spec.partition_by)}: name the "
                "partitions to compact with --partition "
                + ",".join(f"{k}=..." for k in spec.partition_by)
            )
        partitions = [{}]
    report = compact_partitions(
        Lake(Path(args.lake)),
        args.table,
        partitions,
        dry_run=args.dry_run,
        min_files=args.min_files if args.min_files is not None else DEFAULT_MIN_FILES,
        spec=spec,
        zone=args.zone,
    )
    if args.json:
        print_json(report)
        return 0
    mode = " (dry run: nothing written)" if report.dry_run else ""
    print(
        f"compact {report.path}{mode}: version {report.version_before}"
        + (f" -> {report.version_after}" if report.version_after is not None else "")
    )
    print_table(
        ["partition", "action", "files before", "files after", "rows"],
        [
            [
                ",".join(
                    f"{k}={NULL_PARTITION if v is None else v}" for k, v in p.partition.items()
                )
                or "(whole table)",
                p.action,
                p.files_before,
                p.files_after,
                f"{p.rows:,}",
            ]
            for p in report.partitions
        ],
    )
    return 0


def _vacuum(args: argparse.Namespace) -> int:
    from pointline_core.storage.maintenance import vacuum_table

    report = vacuum_table(
        Lake(Path(args.lake)),
        args.table,
        dry_run=not args.execute,
        retention_hours=args.retention_hours,
        enforce_retention=not args.no_enforce_retention,
        remove_orphans=args.remove_orphans,
        zone=args.zone,
    )
    if args.json:
        print_json(report)
        return 0
    verb = "would remove" if report.dry_run else "removed"
    print(f"vacuum {report.path}: {verb} {report.file_count} files")
    for f in report.files:
        print(f"  {f}")
    if report.dry_run and report.file_count:
        print("dry run: pass --execute to delete them")
    return 0


def _maintain(args: argparse.Namespace) -> int:
    from pointline_core.storage.maintain import maintain

    report = maintain(require_lake(args.lake), dry_run=args.dry_run)
    if args.json:
        print_json(report)
        return 0
    mode = " (dry run: nothing written)" if report.dry_run else ""
    p = report.policy
    print(
        f"maintain {report.lake_root}{mode}: compact partitions older than "
        f"{p.compact.older_than_days} day(s) with more than {p.compact.max_files} files; "
        f"checkpoint {'on' if p.checkpoint.enabled else 'off'}; vacuum "
        + (f"past {p.vacuum.retention_hours} h" if p.vacuum.enabled else "off")
    )
    print_table(
        ["zone/table", "partitions compacted", "files", "checkpoint", "files vacuumed", "note"],
        [
            [
                f"{t.zone}/{t.table}",
                t.partitions_compacted,
                f"{t.files_before} -> {t.files_after}" if t.partitions_compacted else "",
                t.checkpoint,
                t.files_vacuumed,
                t.skipped,
            ]
            for t in report.tables
        ],
    )
    return 0


def _print_tables(done: Sequence[str], kept: int, verb: str, what: str, rest: str) -> None:
    for label in done:
        print(f"{verb} {label}: {what}")
    print(f"{len(done)} table(s) {verb}, {kept} {rest}")


def _migrate(args: argparse.Namespace) -> int:
    from pointline_core.storage.decimal_rewrite import rewrite_decimals
    from pointline_core.storage.migrate import migrate_lake

    lake = require_lake(args.lake)  # never create a mistyped lake's folders
    if args.rewrite_decimals:
        rewritten = rewrite_decimals(lake)
        if args.json:
            print_json(rewritten)
        else:
            what = "Int64 fixed point -> exact decimals"
            _print_tables(
                rewritten.rewritten, len(rewritten.unchanged), "rewrote", what, "already decimal"
            )
        return 0
    migrated = migrate_lake(lake)
    if args.json:
        print_json(migrated)
    else:
        what = "added the nullable columns its spec gained"
        _print_tables(
            migrated.migrated, len(migrated.unchanged), "migrated", what, "already current"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compact",
        help="rewrite named partitions into few files sorted by the tie-break keys",
        description="Compact only the named partitions of a table; rows are unchanged and "
        "written in the table's tie-break order; partitions with fewer than --min-files "
        "files are skipped.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("table", help="table name, e.g. trades")
    p.add_argument(
        "--partition",
        action="append",
        metavar="KEY=VALUE,...",
        help="partition to compact, e.g. exchange=EX,trading_date=2024-05-01 (repeatable; "
        f"{NULL_PARTITION} for a null value; omit for unpartitioned tables)",
    )
    p.add_argument("--zone", choices=ZONES, default="silver", help="default: silver")
    p.add_argument("--min-files", type=int, help="skip partitions with fewer files (default 2)")
    p.add_argument("--dry-run", action="store_true", help="report the plan, write nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_compact)

    p = sub.add_parser(
        "vacuum",
        help="list (default) or delete files a table no longer references",
        description="Dry run by default: lists unreferenced files older than the retention. "
        "--execute deletes them. Retention shorter than the table's (7 days by default) is "
        "refused unless --no-enforce-retention.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("table", help="table name, e.g. trades")
    p.add_argument("--zone", choices=ZONES, default="silver", help="default: silver")
    p.add_argument("--execute", action="store_true", help="delete the files (default: list)")
    p.add_argument("--retention-hours", type=int, help="default: the table's retention")
    p.add_argument(
        "--no-enforce-retention",
        action="store_true",
        help="allow a retention shorter than the table's (breaks time travel past it)",
    )
    p.add_argument(
        "--remove-orphans",
        action="store_true",
        help="also remove files no commit references (left by crashed writers)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_vacuum)

    p = sub.add_parser(
        "maintain",
        help="apply the lake's maintenance policy: compact, checkpoint, vacuum",
        description="Apply LAKE/control/policy.toml (defaults when absent; see "
        "docs/operations.md) to every table: compact closed partitions with too many files, "
        "checkpoint, vacuum past the retention. Idempotent; safe next to a running ingest.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("--dry-run", action="store_true", help="report the plan, change nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_maintain)

    p = sub.add_parser(
        "migrate",
        help="add the nullable columns newer specs define to a lake's existing tables",
        description="Additive only: each event and quarantine table lacking nullable columns "
        "its spec gained gets them at the end (older rows read as null). Idempotent. Ingest "
        "does this itself before appending; compaction needs it done first. "
        "--rewrite-decimals instead rewrites tables written with Int64 fixed point (before "
        "plugin API 2.0) to exact decimals, one commit per table.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument(
        "--rewrite-decimals",
        action="store_true",
        help="rewrite Int64 fixed-point price/quantity columns as exact decimals (idempotent)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_migrate)
