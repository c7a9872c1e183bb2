"""Trading sessions of an exchange, from the calendar code it declares.

An exchange's ``ExchangeInfo.calendar`` is either :data:`ALWAYS_OPEN` (``24/7``: every
calendar day is a session from local midnight to the next, as crypto venues trade), which
the core resolves itself, or a code of the ``exchange-calendars`` package (its holidays,
half days and session times), an optional dependency: ``pip install
'pointline-core[calendars]'``. The core names no exchange and no calendar; plugins do.

A session's ``trading_date`` is the session label of the calendar (for a calendar whose
sessions open the evening before, such as futures exchanges, the label is the day the
session closes).
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import polars as pl

from pointline_core.errors import CalendarError
from pointline_core.models import ExchangeInfo
from pointline_core.schemas.tables import DIM_TRADING_CALENDAR

#: The calendar code of an exchange that trades every day around the clock.
ALWAYS_OPEN = "24/7"


def sessions(exchange: ExchangeInfo, start: dt.date, end: dt.date) -> pl.DataFrame:
    """One row per calendar day in ``[start, end]`` (both inclusive) in the
    ``dim_trading_calendar`` schema: whether it is a session, and its open and close (UTC µs).

    Raises :class:`CalendarError` when the exchange declares no calendar, the code is
    unknown, or ``exchange-calendars`` is needed and not installed.
    """
    code = exchange.calendar
    if code is None:
        raise CalendarError(
            f"exchange {exchange.name!r} declares no trading calendar (ExchangeInfo.calendar "
            "is None); its plugin must set a calendar code (an exchange-calendars name or "
            f"{ALWAYS_OPEN!r}) before sessions can be known"
        )
    days = pl.DataFrame({"trading_date": pl.date_range(start, end, eager=True)})
    if code == ALWAYS_OPEN:
        found = _always_open(days, exchange.timezone)
    else:
        found = _from_exchange_calendars(exchange.name, code, start, end)
    table = days.join(found, on="trading_date", how="left").select(
        exchange=pl.lit(exchange.name),
        calendar=pl.lit(code),
        trading_date="trading_date",
        is_session=pl.col("open_ts_us").is_not_null(),
        open_ts_us="open_ts_us",
        close_ts_us="close_ts_us",
    )
    return table.cast(dict(DIM_TRADING_CALENDAR.polars_schema()))


def _local_midnight_us(day: pl.Expr, timezone: str) -> pl.Expr:
    return (
        day.cast(pl.Datetime("us"))
        .dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
        .dt.epoch("us")
    )


def _always_open(days: pl.DataFrame, timezone: str) -> pl.DataFrame:
    day = pl.col("trading_date")
    return days.select(
        "trading_date",
        open_ts_us=_local_midnight_us(day, timezone),
        close_ts_us=_local_midnight_us(day.dt.offset_by("1d"), timezone),
    )


def exchange_calendars_module() -> Any:
    """The ``exchange_calendars`` module, or :class:`CalendarError` saying how to install it."""
    try:
        import exchange_calendars
    except ImportError:
        raise CalendarError(
            "the exchange-calendars package is not installed: install the calendars extra: "
            "pip install 'pointline-core[calendars]' (only '24/7' calendars work without it)"
        ) from None
    return exchange_calendars


def needs_package(code: str | None) -> bool:
    """Whether resolving ``code`` takes the optional ``exchange-calendars`` package."""
    return code is not None and code != ALWAYS_OPEN


def _from_exchange_calendars(
    exchange: str, code: str, start: dt.date, end: dt.date
) -> pl.DataFrame:
    """Sessions with their open/close from ``exchange-calendars`` (bounded to its range)."""
    xcals = exchange_calendars_module()
    if code not in xcals.get_calendar_names(include_aliases=True):
        raise CalendarError(
            f"exchange {exchange!r} declares calendar {code!r}, which exchange-calendars does "
            "not know; fix the code in its plugin (see exchange_calendars.get_calendar_names())"
        )
    try:
        # The package's own use of pandas raises deprecation warnings that are not ours to
        # fix and would break the one-line output of the CLI.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            calendar = xcals.get_calendar(code, start=start.isoformat(), end=end.isoformat())
    except ValueError as exc:  # a range outside what the package has data for
        raise CalendarError(
            f"calendar {code!r} of exchange {exchange!r} cannot cover {start}..{end}: "
            f"{str(exc).splitlines()[0]}; narrow the range with --from/--to"
        ) from None
    schedule = calendar.schedule.loc[start.isoformat() : end.isoformat()]
    # exchange-calendars holds numpy datetime64[ns] columns; converting whole columns keeps
    # this free of per-row Python.
    return pl.DataFrame(
        {
            "trading_date": pl.Series(schedule.index.to_numpy()).cast(pl.Date),
            "open_ts_us": _utc_us(schedule["open"]),
            "close_ts_us": _utc_us(schedule["close"]),
        }
    )


def _utc_us(column: Any) -> pl.Series:
    """A pandas tz-aware column as UTC µs since the epoch (Int64)."""
    return pl.Series(column.dt.tz_convert(None).to_numpy().astype("datetime64[us]")).cast(pl.Int64)
