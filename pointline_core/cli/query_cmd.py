"""``pointline read`` and ``pointline coverage``: the read side from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from pointline_core.cli.output import emit_text, print_json, print_table
from pointline_core.errors import QueryError
from pointline_core.query.time import iso_time, time_columns

#: Rows ``--format table`` shows when no ``--limit`` is given.
TABLE_ROWS = 20


def _read(args: argparse.Namespace) -> int:
    from pointline_core import query

    require_output(args.format, args.output)
    if args.limit is not None and args.limit < 0:
        raise QueryError(f"--limit must be >= 0 (got {args.limit})")
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    iso = args.iso_times if args.iso_times is not None else args.format == "table"
    if iso and args.format == "parquet":
        raise QueryError(
            "--iso-times is for --format table and csv; parquet keeps the integer "
            "microseconds (convert with pl.from_epoch(col, time_unit='us'))"
        )
    decoded = False if args.raw else ("decimal" if args.decimal else True)
    filters = {
        "exchange": args.exchange,
        "symbol": args.symbol,
        "symbol_id": args.symbol_id,
        "start": args.start,
        "end": args.end,
        "tz": args.tz,
        "version": args.version,
    }
    lazy = query.load(args.lake, args.table, columns=columns, decoded=decoded, **filters)
    if args.explain:
        chosen, total = query.files(args.lake, args.table, **filters)
        print(f"{args.table}: {len(chosen)} of {total} files may hold matching rows")
        for f in chosen:
            print(f"  {f}")
        return 0
    limit = args.limit
    if iso:
        lazy = with_iso_times(lazy, args.tz)
    if args.format == "table":
        shown = TABLE_ROWS if limit is None else limit
        frame = lazy.head(shown + 1).collect()
        more = frame.height > shown
        frame = frame.head(shown)
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            tbl_width_chars=250,
            fmt_str_lengths=40,
            fmt_float="full",
            tbl_hide_dataframe_shape=True,
        ):
            text = str(frame)
        emit_text(text + "\n", args.output)
        if more:
            print(
                f"(first {shown} rows; --limit N for more, --format csv for all)",
                file=sys.stderr,
            )
        return 0
    if limit is not None:
        lazy = lazy.head(limit)
    if args.output is not None:
        sink(lazy, args.format, args.output)
        return 0
    sys.stdout.write(csv_ready(lazy).collect().write_csv())
    return 0


def require_output(fmt: str, output: str | None) -> None:
    """Parquet is binary: it goes to a file, never to the terminal."""
    if fmt == "parquet" and output is None:
        raise QueryError("--format parquet writes binary data: name a file with --output FILE")


def sink(lazy: pl.LazyFrame, fmt: str, output: str | None) -> None:
    """Stream ``lazy`` into the file ``output`` (its folder created) as ``csv`` (list columns
    as text, :func:`csv_ready`) or ``parquet``."""
    require_output(fmt, output)
    assert output is not None, "csv goes to standard output without --output"
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        csv_ready(lazy).sink_csv(out)
    else:
        lazy.sink_parquet(out)


def with_iso_times(lazy: pl.LazyFrame, tz: str | None) -> pl.LazyFrame:
    """Every ``*_us`` time column as ISO 8601 text in ``tz`` (default UTC)."""
    names = time_columns(lazy.collect_schema())
    return lazy.with_columns(iso_time(n, tz) for n in names) if names else lazy


def csv_ready(lazy: pl.LazyFrame) -> pl.LazyFrame:
    """List columns (book levels) as ``[a,b,null]`` text: CSV has no nested values."""
    lists = [n for n, d in lazy.collect_schema().items() if isinstance(d, pl.List)]
    return lazy.with_columns(
        pl.concat_str(
            pl.lit("["),
            pl.col(n).list.eval(pl.element().cast(pl.String).fill_null("null")).list.join(","),
            pl.lit("]"),
        ).alias(n)
        for n in lists
    )


def _coverage(args: argparse.Namespace) -> int:
    from pointline_core import query

    frame = query.coverage(args.lake, args.table, exchange=args.exchange, symbol=args.symbol)
    if args.json:
        print_json(frame.to_dicts())
        return 0
    if frame.height == 0:
        print("no event rows in this lake" + (f" for table {args.table!r}" if args.table else ""))
        return 0
    print_table(frame.columns, frame.rows())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``read`` and ``coverage`` to the ``pointline`` command."""
    p = sub.add_parser(
        "read",
        help="read a table: filtered, point-in-time, decoded, in replay order",
        description="Read rows of a lake table sorted by its tie-break keys. The window "
        "[--start, --end) is half-open on ts_event_us; times are ISO dates/datetimes "
        "(no offset = UTC, or --tz) or integer microseconds. Prices and quantities (exact "
        "decimals) are shown as floats unless --decimal or --raw. The table format shows *_us "
        "time columns as ISO times in --tz (default UTC); csv does with --iso-times. Only the "
        "partitions the filters can touch are read.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("table", help="table name, e.g. trades (see `pointline tables`)")
    p.add_argument("--exchange", action="append", help="exchange name (repeatable)")
    p.add_argument("--symbol", action="append", help="exchange symbol (repeatable)")
    p.add_argument(
        "--symbol-id", type=int, action="append", help="dim_symbol window id (repeatable)"
    )
    p.add_argument("--start", help="window start, inclusive (date, datetime or µs)")
    p.add_argument("--end", help="window end, exclusive (date, datetime or µs)")
    p.add_argument(
        "--tz",
        help="timezone of dates and naive datetimes, and of the ISO times shown (default UTC)",
    )
    p.add_argument("--columns", help="comma-separated columns to output (default: all)")
    p.add_argument(
        "--format",
        choices=("table", "csv", "parquet"),
        default="table",
        help=f"table (default; first {TABLE_ROWS} rows unless --limit), csv, parquet",
    )
    p.add_argument("--limit", type=int, help="at most N rows (in replay order)")
    p.add_argument("--output", help="write to FILE instead of stdout (required for parquet)")
    p.add_argument("--raw", action="store_true", help="keep the stored exact decimals")
    p.add_argument(
        "--iso-times",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show *_us time columns as ISO times in --tz (default UTC): on for table, "
        "off for csv; parquet always keeps integer microseconds",
    )
    p.add_argument("--decimal", action="store_true", help="exact decimals (as stored)")
    p.add_argument("--version", type=int, help="read this Delta version of the table")
    p.add_argument(
        "--explain", action="store_true", help="list the files the read may touch, read none"
    )
    p.set_defaults(func=_read)

    p = sub.add_parser(
        "coverage",
        help="per table, exchange and symbol: first/last trading_date, days, rows",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("table", nargs="?", help="one event table (default: all)")
    p.add_argument("--exchange", action="append", help="exchange name (repeatable)")
    p.add_argument("--symbol", action="append", help="exchange symbol (repeatable)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_coverage)
