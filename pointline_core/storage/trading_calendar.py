"""``silver/dim_trading_calendar``: the sessions of the exchanges in the lake, as data.

Which exchanges and days: the ``(exchange, trading_date)`` partitions of the lake's event
tables (read from the Delta logs, not the rows), each exchange from its first to its last
day unless a range is given. Rewriting a range replaces exactly the rows of those exchanges
and days in one commit, so running it again is a no-op in content.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import polars as pl

from pointline_core import calendars
from pointline_core.errors import CalendarError
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.schemas.tables import DIM_TRADING_CALENDAR
from pointline_core.storage.delta import (
    add_actions,
    create_table,
    open_table,
    read_table,
    sql_literal,
    write_stream,
)
from pointline_core.storage.lake import Lake
from pointline_core.storage.maintenance import table_lock_name

TABLE = DIM_TRADING_CALENDAR.name


@attrs.frozen(slots=True)
class ExchangeCalendar:
    """One exchange: the range written and its session count, or why it was skipped."""

    exchange: str
    calendar: str | None
    date_from: dt.date
    date_to: dt.date
    days: int
    sessions: int
    skipped: str | None = None


@attrs.frozen(slots=True)
class CalendarReport:
    lake_root: str
    path: str
    exchanges: list[ExchangeCalendar]


def lake_days(lake: Lake, plugins: Plugins) -> pl.DataFrame:
    """(exchange, first, last) trading dates over the lake's event tables' partitions."""
    spans = []
    for name in plugins.tables.names():
        spec = plugins.tables.get(name)
        delta = open_table(lake.table_path(name, "silver"))
        if spec.kind != "event" or delta is None:
            continue
        live = add_actions(delta)
        if live.height and "partition.trading_date" in live.columns:
            spans.append(
                live.select(
                    exchange=pl.col("partition.exchange").cast(pl.String),
                    trading_date=pl.col("partition.trading_date")
                    .cast(pl.String)
                    .str.to_date("%Y-%m-%d", strict=False),
                ).drop_nulls()
            )
    if not spans:
        return pl.DataFrame(schema={"exchange": pl.String, "first": pl.Date, "last": pl.Date})
    return (
        pl.concat(spans)
        .group_by("exchange")
        .agg(first=pl.col("trading_date").min(), last=pl.col("trading_date").max())
        .sort("exchange")
    )


def materialise_calendar(
    lake_root: str | Path,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    plugins: Plugins | None = None,
) -> CalendarReport:
    """Write the sessions of every exchange in the lake for its days (or the given range).

    An exchange no plugin declares, or whose calendar is unknown (``None``) or not known to
    ``exchange-calendars``, is skipped with the reason. Raises :class:`CalendarError` when a
    calendar needs ``exchange-calendars`` and it is not installed.
    """
    if date_from is not None and date_to is not None and date_from > date_to:
        raise CalendarError(
            f"--from {date_from} is after --to {date_to}; give a range whose start is on or "
            "before its end"
        )
    lake = Lake(Path(lake_root).resolve())
    plugins = plugins if plugins is not None else load_plugins()
    results: list[ExchangeCalendar] = []
    frames: list[pl.DataFrame] = []
    spans = lake_days(lake, plugins)
    codes = [plugins.exchanges.get(e).calendar for e in spans["exchange"] if e in plugins.exchanges]
    if any(calendars.needs_package(code) for code in codes):
        # Missing the optional package stops the run (one line saying how to install it);
        # a bad code only skips its exchange.
        calendars.exchange_calendars_module()
    for exchange, first, last in spans.iter_rows():
        start, end = date_from or first, date_to or last
        if start > end:  # one bound given, past this exchange's days in the lake
            code = (
                plugins.exchanges.get(exchange).calendar if exchange in plugins.exchanges else None
            )
            skipped = f"no day of {exchange} in the lake falls in {start}..{end}"
            results.append(ExchangeCalendar(exchange, code, start, end, 0, 0, skipped))
            continue
        result, frame = _one(plugins, exchange, start, end)
        results.append(result)
        if frame is not None:
            frames.append(frame)
    path = lake.table_path(TABLE, "silver")
    if frames:
        predicate = " OR ".join(
            f"(exchange = {sql_literal(r.exchange)} AND trading_date >= "
            f"'{r.date_from}' AND trading_date <= '{r.date_to}')"
            for r in results
            if r.skipped is None
        )
        with lake.lock(table_lock_name(TABLE, "silver")):
            create_table(path, DIM_TRADING_CALENDAR)
            write_stream(path, DIM_TRADING_CALENDAR, frames, mode="overwrite", predicate=predicate)
    return CalendarReport(str(lake.root), str(path), results)


def _one(
    plugins: Plugins, exchange: str, start: dt.date, end: dt.date
) -> tuple[ExchangeCalendar, pl.DataFrame | None]:
    days = (end - start).days + 1
    if exchange not in plugins.exchanges:
        reason = "no installed plugin declares this exchange"
        return ExchangeCalendar(exchange, None, start, end, days, 0, reason), None
    info = plugins.exchanges.get(exchange)
    try:
        frame = calendars.sessions(info, start, end)
    except CalendarError as exc:
        return ExchangeCalendar(exchange, info.calendar, start, end, days, 0, str(exc)), None
    sessions = int(frame["is_session"].sum())
    return ExchangeCalendar(exchange, info.calendar, start, end, days, sessions), frame


def read_calendar(lake: Lake) -> pl.DataFrame:
    """The materialised calendar (empty, with its schema, before the first run)."""
    path = lake.table_path(TABLE, "silver")
    if open_table(path) is None:
        return DIM_TRADING_CALENDAR.empty_frame()
    return read_table(path, DIM_TRADING_CALENDAR)
