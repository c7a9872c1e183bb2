"""Which expected trading days are missing, suspicious or odd, per (table, exchange, symbol).

Three findings, all against the materialised ``dim_trading_calendar`` (``pointline
calendar``) and ``dim_symbol``:

* **missing**: a session of the exchange between the symbol's first and last day with rows,
  whose open falls inside one of the symbol's ``dim_symbol`` windows, and with no row;
* **holiday rows**: a day with rows that the calendar says is not a session (suspicious:
  a wrong timezone, a test print, a calendar that lacks a new session);
* **outliers**: a day whose row count is below :data:`OUTLIER_LOW` times or above
  :data:`OUTLIER_HIGH` times the symbol's median daily count (rule :data:`OUTLIER_RULE`),
  judged only for symbols with at least :data:`OUTLIER_MIN_DAYS` days of rows.

Days the calendar does not cover (an exchange never materialised, or an unknown calendar)
are counted as ``uncovered`` rather than guessed at. Only three columns of the table are
read (exchange, symbol, trading_date), with the filters pushed into the scan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import attrs
import polars as pl

from pointline_core.errors import UnknownTableError
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.storage.delta import open_table
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import Lake
from pointline_core.storage.trading_calendar import read_calendar

OUTLIER_LOW = 0.1
OUTLIER_HIGH = 10.0
OUTLIER_MIN_DAYS = 3
OUTLIER_RULE = (
    f"rows < {OUTLIER_LOW} x or > {OUTLIER_HIGH:g} x the symbol's median rows per day "
    f"(symbols with >= {OUTLIER_MIN_DAYS} days of rows)"
)


@attrs.frozen(slots=True)
class OutlierDay:
    trading_date: dt.date
    rows: int
    median_rows: float


@attrs.frozen(slots=True)
class SymbolCompleteness:
    """One (table, exchange, symbol) over its first..last day with rows."""

    table: str
    exchange: str
    symbol: str
    first_day: dt.date
    last_day: dt.date
    days_with_rows: int
    expected_sessions: int
    missing: list[dt.date]
    holiday_rows: list[dt.date]
    outliers: list[OutlierDay]
    #: days with rows that the materialised calendar does not cover
    uncovered_days: int

    @property
    def has_findings(self) -> bool:
        return bool(self.missing or self.holiday_rows or self.outliers)


@attrs.frozen(slots=True)
class CompletenessReport:
    lake_root: str
    tables: list[str]
    outlier_rule: str
    symbols: list[SymbolCompleteness]
    missing_days: int
    holiday_row_days: int
    outlier_days: int
    uncovered_days: int
    #: exchanges with rows but no calendar rows (run ``pointline calendar``, or the calendar
    #: code is unknown)
    exchanges_without_calendar: list[str]

    @property
    def gaps_found(self) -> bool:
        return bool(self.missing_days or self.holiday_row_days or self.outlier_days)

    @property
    def summary(self) -> str:
        return (
            f"{len(self.symbols)} symbol(s) in {len(self.tables)} table(s): "
            f"{self.missing_days} missing session(s), {self.holiday_row_days} day(s) with "
            f"rows on a non-session, {self.outlier_days} outlier day(s), "
            f"{self.uncovered_days} day(s) without a calendar"
        )


def completeness(
    lake_root: str | Path,
    tables: Sequence[str] | None = None,
    *,
    exchange: str | None = None,
    symbol: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    plugins: Plugins | None = None,
) -> CompletenessReport:
    """Check ``tables`` (default: every event table in the lake); filters narrow the rows
    read and the days judged (``date_from``/``date_to`` inclusive)."""
    lake = Lake(Path(lake_root).resolve())
    plugins = plugins if plugins is not None else load_plugins()
    names = list(tables) if tables else _event_tables(lake, plugins)
    for name in names:
        if plugins.tables.get(name).kind != "event":
            raise UnknownTableError(
                f"table {name!r} is not an event table; completeness checks tables with "
                "per-day rows (see `pointline tables`)"
            )
    calendar = read_calendar(lake)
    windows = _windows(lake)
    results: list[SymbolCompleteness] = []
    no_calendar: set[str] = set()
    for name in names:
        counts = _day_counts(lake, name, exchange, symbol, date_from, date_to)
        no_calendar |= set(counts["exchange"].unique()) - set(calendar["exchange"].unique())
        results += _check(name, counts, calendar, windows, date_from, date_to)
    return CompletenessReport(
        lake_root=str(lake.root),
        tables=names,
        outlier_rule=OUTLIER_RULE,
        symbols=results,
        missing_days=sum(len(r.missing) for r in results),
        holiday_row_days=sum(len(r.holiday_rows) for r in results),
        outlier_days=sum(len(r.outliers) for r in results),
        uncovered_days=sum(r.uncovered_days for r in results),
        exchanges_without_calendar=sorted(no_calendar),
    )


def _event_tables(lake: Lake, plugins: Plugins) -> list[str]:
    return [
        n
        for n in plugins.tables.names()
        if plugins.tables.get(n).kind == "event"
        and open_table(lake.table_path(n, "silver")) is not None
    ]


def _day_counts(
    lake: Lake,
    table: str,
    exchange: str | None,
    symbol: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> pl.DataFrame:
    """Rows per (exchange, symbol, trading_date); the filters prune partitions."""
    delta = open_table(lake.table_path(table, "silver"))
    schema = {"exchange": pl.String, "symbol": pl.String, "trading_date": pl.Date}
    if delta is None:
        return pl.DataFrame(schema={**schema, "rows": pl.UInt32})
    scan = pl.scan_delta(delta).select(list(schema))
    if exchange is not None:
        scan = scan.filter(pl.col("exchange") == exchange)
    if symbol is not None:
        scan = scan.filter(pl.col("symbol") == symbol)
    if date_from is not None:
        scan = scan.filter(pl.col("trading_date") >= date_from)
    if date_to is not None:
        scan = scan.filter(pl.col("trading_date") <= date_to)
    return (
        scan.group_by(list(schema))
        .agg(rows=pl.len())
        .collect(engine="streaming")
        .cast(schema)
        .sort(list(schema))
    )


def _windows(lake: Lake) -> pl.DataFrame:
    dim = DimSymbolStore(lake).frame()
    return dim.select(
        "exchange",
        symbol=pl.col("exchange_symbol"),
        valid_from_ts_us="valid_from_ts_us",
        valid_until_ts_us="valid_until_ts_us",
    )


def _check(
    table: str,
    counts: pl.DataFrame,
    calendar: pl.DataFrame,
    windows: pl.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> list[SymbolCompleteness]:
    keys = ["exchange", "symbol"]
    spans = counts.group_by(keys).agg(
        first_day=pl.col("trading_date").min(),
        last_day=pl.col("trading_date").max(),
        days_with_rows=pl.len(),
        median_rows=pl.col("rows").median(),
    )
    if date_from is not None:
        spans = spans.with_columns(first_day=pl.max_horizontal("first_day", pl.lit(date_from)))
    if date_to is not None:
        spans = spans.with_columns(last_day=pl.min_horizontal("last_day", pl.lit(date_to)))
    # Sessions inside each symbol's span whose open lies in one of its windows.
    expected = (
        spans.join(calendar.filter("is_session"), on="exchange")
        .filter(pl.col("trading_date").is_between("first_day", "last_day"))
        .join(windows, on=keys)
        .filter(
            pl.col("open_ts_us") >= pl.col("valid_from_ts_us"),
            pl.col("open_ts_us") < pl.col("valid_until_ts_us"),
        )
        .select(*keys, "trading_date")
        .unique()
    )
    missing = expected.join(counts, on=[*keys, "trading_date"], how="anti")
    judged = counts.join(
        calendar.select("exchange", "trading_date", "is_session"),
        on=["exchange", "trading_date"],
        how="left",
    ).join(spans.select(*keys, "median_rows", "days_with_rows"), on=keys)
    holidays = judged.filter(pl.col("is_session").not_())
    outliers = judged.filter(
        pl.col("days_with_rows") >= OUTLIER_MIN_DAYS,
        (pl.col("rows") < OUTLIER_LOW * pl.col("median_rows"))
        | (pl.col("rows") > OUTLIER_HIGH * pl.col("median_rows")),
    )
    per_symbol = (
        spans.join(_dates(missing, "missing"), on=keys, how="left")
        .join(_dates(holidays, "holiday_rows"), on=keys, how="left")
        .join(
            outliers.group_by(keys).agg(
                outliers=pl.struct("trading_date", "rows", "median_rows").sort_by("trading_date")
            ),
            on=keys,
            how="left",
        )
        .join(expected.group_by(keys).agg(expected_sessions=pl.len()), on=keys, how="left")
        .join(
            judged.filter(pl.col("is_session").is_null()).group_by(keys).agg(uncovered=pl.len()),
            on=keys,
            how="left",
        )
        .sort(keys)
    )
    return [
        SymbolCompleteness(
            table=table,
            exchange=row["exchange"],
            symbol=row["symbol"],
            first_day=row["first_day"],
            last_day=row["last_day"],
            days_with_rows=row["days_with_rows"],
            expected_sessions=row["expected_sessions"] or 0,
            missing=row["missing"] or [],
            holiday_rows=row["holiday_rows"] or [],
            outliers=[OutlierDay(**o) for o in row["outliers"] or []],
            uncovered_days=row["uncovered"] or 0,
        )
        for row in per_symbol.iter_rows(named=True)
    ]


def _dates(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.group_by("exchange", "symbol").agg(pl.col("trading_date").sort().alias(name))
