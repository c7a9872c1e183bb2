"""Stage: trading_date = the exchange-local calendar day of ts_event_us.

An exchange that declares ``ExchangeInfo.trading_day_roll`` (say ``17:00``) has trading days
that start the evening before: a local time at or after the roll belongs to the next day.

The mapping is total: a ``ts_event_us`` whose day no reader can store (outside years
1..9999: Python dates, Delta partition values) gets a null ``trading_date`` instead of
failing the run, and validation quarantines the row as ``out_of_range:trading_date``; its
quarantine row lands in Delta's default partition (docs/storage.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from pointline_core.exchanges import roll_minutes

_DAY_US = 86_400_000_000
_EPOCH = dt.date(1970, 1, 1)
#: ``ts_event_us`` with a trading_date: a UTC day between 0001-01-02 and 9999-12-30
#: (half-open), so a local day (at most one day off) is always a representable date.
TS_MIN_US = (dt.date(1, 1, 2) - _EPOCH).days * _DAY_US
TS_END_US = (dt.date(9999, 12, 30) - _EPOCH).days * _DAY_US
#: The validation reason of a row whose ts_event_us has no trading_date.
NO_TRADING_DATE = "out_of_range:trading_date"


def unknown_exchange_reason(names: list[str]) -> str:
    """The failure reason of a file whose rows name exchanges no plugin declared."""
    return (
        f"unknown_exchange: {', '.join(names)} not declared by any installed plugin "
        "(add it to the plugin's pointline_exchanges hook)"
    )


def storable(ts_us: pl.Expr) -> pl.Expr:
    """True where ``ts_us`` has a representable trading_date (see :data:`TS_MIN_US`)."""
    return ts_us.is_between(TS_MIN_US, TS_END_US, closed="left")


def local_date(ts_us: pl.Expr, timezone: str, day_roll: str = "") -> pl.Expr:
    """The trading day of ``ts_us`` in ``timezone``: the local calendar day, or the next one
    from ``day_roll`` (``"HH:MM"`` local) on; null (never an error) outside the storable
    range."""
    # Clipped first so the conversion never sees a value it cannot represent.
    safe = ts_us.clip(TS_MIN_US, TS_END_US - 1)
    if timezone in ("UTC", "Etc/UTC") and not day_roll:
        # crypto venues: the UTC day is integer arithmetic (no per-row timezone lookup)
        day = safe.floordiv(_DAY_US).cast(pl.Int32).cast(pl.Date)
        return pl.when(storable(ts_us)).then(day).otherwise(pl.lit(None, pl.Date))
    local = (
        pl.from_epoch(safe, time_unit="us")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(timezone)
    )
    roll = roll_minutes(day_roll)
    if roll:
        # Shift the naive wall-clock time (not the instant): a 17:00 roll stays 17:00 local
        # on both sides of a DST change, and only wall times at or after it reach tomorrow.
        local = local.dt.replace_time_zone(None) + pl.duration(minutes=24 * 60 - roll)
    day = local.dt.date()
    return pl.when(storable(ts_us)).then(day).otherwise(pl.lit(None, pl.Date))


def no_trading_date_detail() -> pl.Expr:
    """The quarantine ``detail`` of an ``out_of_range:trading_date`` row."""
    return pl.format(
        "ts_event_us={} is outside 0001-01-02..9999-12-30 (the days a lake can store); "
        "check the timestamp unit (microseconds expected)",
        pl.col("ts_event_us"),
    )


def with_trading_date(
    frame: pl.DataFrame,
    timezones: Mapping[str, str],
    day_rolls: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Add ``trading_date``: the calendar day of ``ts_event_us`` in the exchange's timezone
    (from the exchange's ``trading_day_roll`` in ``day_rolls`` on, the next day).

    A batch usually holds one exchange, so this builds one when/then branch per exchange
    present, not per row. Rows of an undeclared exchange get null (see
    :func:`unknown_exchanges`, which fails such files before this runs).
    """
    present = [
        name
        for name in frame.get_column("exchange").drop_nulls().unique().sort().to_list()
        if name in timezones
    ]
    ts = pl.col("ts_event_us")
    rolls = day_rolls or {}
    expr: pl.Expr = pl.lit(None, pl.Date)
    if present:
        first = present[0]
        chain = pl.when(pl.col("exchange") == first).then(
            local_date(ts, timezones[first], rolls.get(first, ""))
        )
        for name in present[1:]:
            chain = chain.when(pl.col("exchange") == name).then(
                local_date(ts, timezones[name], rolls.get(name, ""))
            )
        expr = chain.otherwise(pl.lit(None, pl.Date))
    return frame.with_columns(trading_date=expr)


def unknown_exchanges(
    frame: pl.DataFrame, timezones: Mapping[str, str], reason_column: str = "_reject_reason"
) -> dict[int, str]:
    """``{file_id: reason}`` for files whose unflagged rows name an undeclared exchange.

    Rows a plugin already rejected go to quarantine with their own reason instead.
    """
    names = frame.get_column("exchange").drop_nulls().unique().to_list()
    if all(name in timezones for name in names):
        return {}  # the common case: one row scan for the distinct names, no filter
    unflagged = pl.col(reason_column).is_null() if reason_column in frame.columns else pl.lit(True)
    unknown = frame.filter(
        unflagged, pl.col("exchange").is_not_null() & ~pl.col("exchange").is_in(list(timezones))
    )
    if not unknown.height:
        return {}
    per_file = unknown.group_by("file_id").agg(pl.col("exchange").unique().sort())
    return {fid: unknown_exchange_reason(names) for fid, names in per_file.iter_rows()}
