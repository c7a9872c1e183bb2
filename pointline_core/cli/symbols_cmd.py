"""``pointline symbols import`` and ``pointline restamp``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pointline_core.cli.output import print_json, print_table
from pointline_core.storage.dim_symbol import SymbolApplyReport, TableRestamp, WindowChange
from pointline_core.storage.symbol_history import iso_us
from pointline_core.symbols import import_symbols, restamp_lake

__all__ = ["import_symbols", "register"]


#: Partitions listed per table, and changed windows, before "... and N more" (--json lists
#: them all).
SHOWN_PARTITIONS = 10
SHOWN_WINDOWS = 10


def _span(start: int | None, end: int | None) -> str:
    if start is None:
        return "-"
    return f"[{iso_us(start)}, {'open' if end is None else iso_us(end)})"


def print_window_changes(changes: Sequence[WindowChange]) -> None:
    """Each window the import opened, closed, changed or removed (its span before -> after)."""
    for c in changes[:SHOWN_WINDOWS]:
        print(
            f"  {c.change:8} {c.exchange}:{c.symbol} id {c.symbol_id}: "
            f"{_span(c.old_valid_from_us, c.old_valid_until_us)} -> "
            f"{_span(c.new_valid_from_us, c.new_valid_until_us)}"
        )
    if len(changes) > SHOWN_WINDOWS:
        print(f"  ... and {len(changes) - SHOWN_WINDOWS} more window change(s) (--json lists all)")


def print_restamp(results: Sequence[TableRestamp], dry_run: bool) -> None:
    """Rows and partitions affected per table, and what to do about quarantined rows now
    covered."""
    if not any(r.rows_restamped or r.rows_quarantined for r in results):
        print("stored rows: every row already carries the id of the window covering it")
    else:
        verb = "would be" if dry_run else "were"
        print(f"stored rows that {verb} fixed:")
        print_table(
            ["table", "rows restamped", "rows moved to quarantine", "partitions"],
            [
                [r.table, f"{r.rows_restamped:,}", f"{r.rows_quarantined:,}", len(r.partitions)]
                for r in results
            ],
        )
        need = "need" if dry_run else "needed"
        for r in results:
            if not r.partitions:
                continue
            shown = [f"{p.exchange}/{p.trading_date}" for p in r.partitions[:SHOWN_PARTITIONS]]
            more = len(r.partitions) - len(shown)
            tail = f" ... and {more} more" if more > 0 else ""
            print(f"partitions of {r.table} that {need} a re-stamp: {', '.join(shown)}{tail}")
    covered = sum(r.quarantined_now_covered for r in results)
    if covered:
        print(
            f"{covered:,} quarantined row(s) (symbol_not_covered) now have a window: run "
            "`pointline ingest BRONZE LAKE --retry-quarantined` to land them"
        )


def print_symbols_report(report: SymbolApplyReport) -> None:
    if report.dry_run:
        change = "dry run: nothing written"
    elif report.version is None:
        change = "no change (already applied)"
    else:
        change = f"committed version {report.version}"
    mode = " (replacing the named symbols' history)" if report.replace else ""
    print(
        f"dim_symbol <- {report.source}{mode}: {report.rows_in} rows, {report.symbols} "
        f"symbols, {report.observations_added} new fact(s); {change}"
    )
    print_table(
        ["opened", "closed", "changed", "removed", "unchanged", "rows in table"],
        [
            [
                report.windows_opened,
                report.windows_closed,
                report.windows_changed,
                report.windows_removed,
                report.windows_unchanged,
                report.rows_total,
            ]
        ],
    )
    print_window_changes(report.changes)
    if report.restamp or report.windows_removed or report.windows_changed:
        print_restamp(report.restamp, report.dry_run)
    if report.ignored_columns:
        print(f"ignored columns: {', '.join(report.ignored_columns)}")


def _symbols_import(args: argparse.Namespace) -> int:
    report = import_symbols(
        Path(args.file),
        Path(args.lake),
        args.vendor,
        replace=args.replace,
        dry_run=args.dry_run,
        progress=not args.json,
    )
    if args.json:
        print_json(report)
    else:
        print_symbols_report(report)
    return 0


def _restamp(args: argparse.Namespace) -> int:
    results = restamp_lake(
        Path(args.lake),
        dry_run=args.dry_run,
        progress=not args.json,
        table=args.table,
        exchange=args.exchange,
        symbol=args.symbol,
    )
    if args.json:
        print_json(list(results))
    else:
        print_restamp(results, args.dry_run)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("symbols", help="manage the dim_symbol dimension")
    ssub = p.add_subparsers(dest="symbols_command", required=True, metavar="SUBCOMMAND")
    p = ssub.add_parser(
        "import",
        help="apply a symbols file (generic CSV/Parquet, or a vendor's with --vendor)",
        description="Add a symbols file's facts to the lake's symbol history and derive "
        "<LAKE>/silver/dim_symbol from it. Generic columns: exchange, exchange_symbol, "
        "valid_from, optional valid_until, asset_class, base_asset, quote_asset, tick_size, "
        "lot_size, contract_size; times as ISO date/datetime (naive = UTC) or integer "
        "microseconds. Re-importing the same file changes nothing; imports commute. Stored "
        "rows whose window moved are restamped in the same run.",
    )
    p.add_argument("file", help="symbols file")
    p.add_argument("lake", help="lake root")
    p.add_argument("--vendor", help="read the file with this vendor plugin's symbols reader")
    p.add_argument(
        "--replace",
        action="store_true",
        help="forget earlier facts of the symbols the file names (a corrected history)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="report windows and rows affected; write nothing"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_symbols_import)

    p = sub.add_parser(
        "restamp",
        help="make every stored row carry the symbol_id of the window covering it",
        description="Check every event table against dim_symbol; rows whose stored id is "
        "not the window covering their ts_event_us get the right id, rows no window covers "
        "move to quarantine (symbol_not_covered). Finishes an interrupted symbols import.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("--table", help="only this event table")
    p.add_argument("--exchange", help="only rows of this exchange")
    p.add_argument("--symbol", help="only rows of this exchange symbol")
    p.add_argument("--dry-run", action="store_true", help="count only; write nothing")
    p.add_argument("--json", action="store_true", help="print per-table counts as JSON")
    p.set_defaults(func=_restamp)
