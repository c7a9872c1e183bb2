"""``pointline stats``: size, small files, maintenance history and growth of a lake."""

from __future__ import annotations

import argparse

from pointline_core.cli.arguments import require_lake
from pointline_core.cli.output import print_json, print_table
from pointline_core.storage.stats import (
    DEFAULT_GROWTH_DAYS,
    DEFAULT_SMALL_FILE_BYTES,
    LakeStats,
    lake_stats,
)

__all__ = ["register"]


def size(n: int) -> str:
    """Bytes in the largest binary unit that keeps the number at least 1 (``12.3 KiB``)."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _stats(args: argparse.Namespace) -> int:
    report = lake_stats(
        require_lake(args.lake),
        small_file_bytes=args.small_file_mib << 20,
        growth_days=args.days,
    )
    if args.json:
        print_json(report)
    else:
        print_stats(report)
    return 0


def print_stats(report: LakeStats) -> None:
    print(f"lake {report.lake_root}")
    print_table(
        [
            "zone/table",
            "rows",
            "files",
            "size",
            "partitions",
            "mean file",
            "small files",
            "version",
            "last compaction",
            "last vacuum",
            "orphan",
        ],
        [
            [
                f"{t.zone}/{t.table}",
                f"{t.rows:,}",
                t.files,
                size(t.bytes),
                t.partitions,
                size(t.mean_file_bytes),
                f"{t.small_files} ({t.small_file_share:.0%})",
                t.version,
                t.last_compaction or "never",
                t.last_vacuum or "never",
                size(t.orphan_bytes),
            ]
            for t in report.tables
        ],
    )
    ratio = f" ({report.lake_to_bronze:.2f} lake bytes per Bronze byte)" if report.bronze else ""
    print(
        f"\nlake {size(report.lake_bytes)} live, {size(report.orphan_bytes)} orphan; "
        f"Bronze ingested {size(report.bronze_bytes)}{ratio}; small file < "
        f"{size(report.small_file_bytes)}"
    )
    for v in report.bronze:
        print(f"  {v.vendor}: {v.files} files, {size(v.bronze_bytes)} Bronze")
    print(f"\ngrowth, last {report.growth_days} days (UTC):")
    print_table(
        ["date", "lake written", "lake files", "Bronze ingested"],
        [[g.date, size(g.lake_bytes), g.lake_files, size(g.bronze_bytes)] for g in report.growth],
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats",
        help="rows, files, bytes, small files, maintenance and growth per table",
        description="Read-only: per table and zone the rows, live files and bytes, "
        "partitions, mean file size, share of small files, Delta version, last compaction "
        "and vacuum, and orphan bytes (on disk, not referenced: what vacuum reclaims); "
        "Bronze bytes ingested per vendor vs lake bytes; daily growth.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument(
        "--days",
        type=int,
        default=DEFAULT_GROWTH_DAYS,
        help=f"days of growth to report (default {DEFAULT_GROWTH_DAYS})",
    )
    p.add_argument(
        "--small-file-mib",
        type=int,
        default=DEFAULT_SMALL_FILE_BYTES >> 20,
        help=f"files below this size count as small (default {DEFAULT_SMALL_FILE_BYTES >> 20})",
    )
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.set_defaults(func=_stats)
