"""``pointline replay``, ``pointline derive bars`` and ``pointline sql``: the research API
from the command line (docs/research.md)."""

from __future__ import annotations

import argparse
import sys

import polars as pl

from pointline_core.cli.arguments import iso_date
from pointline_core.cli.output import emit_text, print_json, print_table
from pointline_core.cli.query_cmd import csv_ready, sink, with_iso_times


def _replay(args: argparse.Namespace) -> int:
    from pointline_core import query

    tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    lazy = query.replay(
        args.lake,
        tables,
        exchange=args.exchange,
        symbols=args.symbol,
        start=args.start,
        end=args.end,
        tz=args.tz,
        clock=args.clock,
        decoded=not args.raw,
    )
    if args.iso_times:
        lazy = with_iso_times(lazy, args.tz)
    if args.format == "parquet" or args.output is not None:
        sink(lazy, args.format, args.output)
        return 0
    header = True
    for batch in lazy.collect_batches():
        sys.stdout.write(csv_ready(batch.lazy()).collect().write_csv(include_header=header))
        header = False
    if header:  # no row: still print the header
        sys.stdout.write(csv_ready(lazy.head(0)).collect().write_csv())
    return 0


def _derive_bars(args: argparse.Namespace) -> int:
    from pointline_core.gold.derive import derive_bars

    report = derive_bars(
        args.lake,
        args.interval,
        table=args.table,
        exchange=args.exchange,
        first=args.first,
        last=args.last,
        force=args.force,
    )
    if args.json:
        print_json(report)
        return 0
    rows = [
        (p.exchange, p.trading_date.isoformat(), p.source_version, p.rows, p.skipped)
        for p in report.partitions
    ]
    if not rows:
        print(f"{report.table}: no {report.source_table} partitions to derive")
        return 0
    print_table(["exchange", "trading_date", "source_version", "rows", "skipped"], rows)
    built = sum(1 for p in report.partitions if not p.skipped)
    print(f"{report.table}: {built} partition(s) rebuilt, {len(rows) - built} up to date")
    return 0


def _sql(args: argparse.Namespace) -> int:
    from pointline_core import query

    frame = query.sql(args.lake, args.query)
    if args.format == "table":
        with pl.Config(
            tbl_rows=-1, tbl_cols=-1, tbl_width_chars=250, tbl_hide_dataframe_shape=True
        ):
            emit_text(str(frame) + "\n", args.output)
    elif args.format == "json":
        emit_text(frame.write_json() + "\n", args.output)
    elif args.format == "csv":
        emit_text(csv_ready(frame.lazy()).collect().write_csv(), args.output)
    else:
        sink(frame.lazy(), "parquet", args.output)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``replay``, ``derive`` and ``sql`` to the ``pointline`` command."""
    p = sub.add_parser(
        "replay",
        help="merge event tables of a selection into one stream in replay order",
        description="Merge several event tables into one event stream: ordered by the clock "
        "(--clock local: receive time, event time where there is none; event: exchange "
        "time), then table priority (book changes, trades, quotes), then each table's own "
        "keys. Streams in clock slices; see docs/research.md.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("--tables", required=True, help="comma-separated event tables")
    p.add_argument("--exchange", action="append", help="exchange name (repeatable)")
    p.add_argument("--symbol", action="append", help="exchange symbol (repeatable)")
    p.add_argument("--start", help="window start on ts_event_us, inclusive")
    p.add_argument("--end", help="window end on ts_event_us, exclusive")
    p.add_argument("--tz", help="timezone of dates and naive datetimes (default UTC)")
    p.add_argument("--clock", choices=("local", "event"), default="local")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--output", help="write to FILE (required for parquet)")
    p.add_argument(
        "--raw", action="store_true", help="keep the stored exact decimals (default: floats)"
    )
    p.add_argument("--iso-times", action="store_true", help="show *_us columns as ISO times (csv)")
    p.set_defaults(func=_replay)

    p = sub.add_parser("derive", help="materialise Gold tables (bars) from Silver")
    derive = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    b = derive.add_parser(
        "bars",
        help="build gold/bars_<interval> from trades, per (exchange, trading_date)",
        description="Build gold/bars_<interval> for the named days: each Silver partition "
        "is rebuilt in one commit replacing exactly that day, recording the Silver version "
        "it was built from; days already built from the current version are skipped.",
    )
    b.add_argument("lake", help="lake root")
    b.add_argument("--interval", required=True, choices=("1s", "1m", "1h", "1d"))
    b.add_argument("--table", default="trades", choices=("trades", "l3_trades"))
    b.add_argument("--exchange", action="append", help="exchange name (repeatable)")
    b.add_argument(
        "--from", dest="first", type=iso_date, metavar="DATE", help="first trading_date, YYYY-MM-DD"
    )
    b.add_argument(
        "--to", dest="last", type=iso_date, metavar="DATE", help="last trading_date (inclusive)"
    )
    b.add_argument("--force", action="store_true", help="rebuild days already up to date")
    b.add_argument("--json", action="store_true", help="print the report as JSON")
    b.set_defaults(func=_derive_bars)

    p = sub.add_parser(
        "sql",
        help="run DuckDB SQL over every lake table (needs pointline-core[sql])",
        description="Every Delta table is a view under its name (prices and quantities are "
        "DECIMAL); <table>_decoded views show its *_us times as ISO text.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("query", help='SQL, e.g. "SELECT count(*) FROM trades"')
    p.add_argument("--format", choices=("table", "csv", "parquet", "json"), default="table")
    p.add_argument("--output", help="write to FILE (required for parquet)")
    p.set_defaults(func=_sql)
