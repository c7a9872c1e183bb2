"""Reading ``start``/``end``: instants as integer microseconds since the epoch (UTC).

Accepted values, for both ends of the half-open window ``[start, end)`` on ``ts_event_us``:

* ``int`` -- microseconds since 1970-01-01T00:00:00Z, taken as is;
* ``datetime.datetime`` -- timezone-aware: that instant; naive: in ``tz`` (default UTC);
* ``datetime.date`` -- midnight at the start of that day in ``tz`` (default UTC);
* ``str`` -- ISO text: ``2024-03-01``, ``2024-03-01T09:30``, ``2024-03-01 09:30:00.25``,
  ``2024-03-01T09:30:00+08:00``, ``...Z``; or an integer in microseconds (``"1709251200000000"``);
  text without an offset is read in ``tz`` (default UTC). Eight digits that read as a date
  (``"20240301"``) are refused as ambiguous rather than taken as 20 s after the epoch.

Partitions are exchange trading days (``trading_date``), which differ from UTC days by at most
one day in either direction (UTC-12 .. UTC+14), plus one day forward for an exchange whose
trading day rolls over in the evening (``ExchangeInfo.trading_day_roll``).
:meth:`TimeWindow.trading_date_bounds` widens the UTC days of the window by one day back and
two forward, so partition pruning never drops a partition that may hold a row of the
window; the exact cut is the ``ts_event_us`` filter.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import polars as pl

from pointline_core.errors import TimeRangeError

#: Anything :func:`to_us` accepts.
TimeLike = int | str | dt.datetime | dt.date

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_INT_TEXT = re.compile(r"^[+-]?\d+$")
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: YYYYMMDD between 1900 and 2999: refused as text microseconds (see _text_us)
_COMPACT_DATE = re.compile(r"^(19|2\d)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_US = dt.timedelta(microseconds=1)
_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)


def _zone(tz: str | dt.tzinfo | None) -> dt.tzinfo:
    if tz is None:
        return dt.UTC
    if isinstance(tz, dt.tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeRangeError(
            f"unknown timezone {tz!r}: use an IANA name such as 'UTC' or 'Europe/London'"
        ) from None


def _datetime_us(value: dt.datetime, zone: dt.tzinfo) -> int:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    # Integer arithmetic on timedeltas: no float rounding of microseconds.
    return (aware - _EPOCH) // _US


def to_us(value: TimeLike, *, tz: str | dt.tzinfo | None = None, name: str = "time") -> int:
    """``value`` as integer microseconds since the epoch (UTC).

    ``tz`` is the timezone of dates and naive datetimes (default UTC); aware datetimes and
    text with an offset keep their own. ``name`` only labels error messages. Raises
    :class:`~pointline_core.errors.TimeRangeError` for anything else.
    """
    zone = _zone(tz)
    if isinstance(value, bool):  # bool is an int subclass; True is not an instant
        raise TimeRangeError(f"{name}={value!r} is not a time; {_HINT}")
    if hasattr(value, "__index__"):  # int, numpy integers
        us = operator.index(value)
    elif isinstance(value, dt.datetime):
        us = _datetime_us(value, zone)
    elif isinstance(value, dt.date):
        us = _datetime_us(dt.datetime(value.year, value.month, value.day), zone)
    elif isinstance(value, str):
        us = _text_us(value.strip(), zone, name)
    else:
        raise TimeRangeError(f"{name}={value!r} ({type(value).__name__}) is not a time; {_HINT}")
    if not _INT64_MIN <= us <= _INT64_MAX:
        raise TimeRangeError(f"{name}={value!r} is outside the Int64 microsecond range")
    return us


_HINT = (
    "use a date, a datetime (naive = UTC), integer microseconds since the epoch, or ISO text "
    "such as '2024-03-01' or '2024-03-01T09:30:00+00:00'"
)


def _text_us(text: str, zone: dt.tzinfo, name: str) -> int:
    if _INT_TEXT.match(text):
        if _COMPACT_DATE.match(text):
            # "20240301" is far more likely a date than 20 seconds after the epoch
            raise TimeRangeError(
                f"{name}={text!r} is ambiguous: write the date as {text[:4]}-{text[4:6]}-"
                f"{text[6:]}, or microseconds since the epoch in full (16 digits for today)"
            )
        return int(text)
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        if _DATE_TEXT.match(text):
            day = dt.date.fromisoformat(text)
            return _datetime_us(dt.datetime(day.year, day.month, day.day), zone)
        return _datetime_us(dt.datetime.fromisoformat(iso), zone)
    except ValueError as exc:
        raise TimeRangeError(f"cannot read {name}={text!r} ({exc}); {_HINT}") from None


def us_to_datetime(us: int) -> dt.datetime:
    """Microseconds since the epoch -> an aware UTC datetime (exact)."""
    return _EPOCH + dt.timedelta(microseconds=us)


@attrs.frozen(slots=True)
class TimeWindow:
    """The half-open window ``[start_us, end_us)`` on ``ts_event_us``; None = unbounded."""

    start_us: int | None = None
    end_us: int | None = None

    @property
    def bounded(self) -> bool:
        """True if either end is set."""
        return self.start_us is not None or self.end_us is not None

    @property
    def empty(self) -> bool:
        """True if the window holds no instant (``end <= start``)."""
        return (
            self.start_us is not None and self.end_us is not None and self.end_us <= self.start_us
        )

    def intersect(self, start_us: int | None, end_us: int | None) -> TimeWindow:
        """This window cut to ``[start_us, end_us)`` (None = no bound on that side)."""
        lo = [v for v in (self.start_us, start_us) if v is not None]
        hi = [v for v in (self.end_us, end_us) if v is not None]
        return TimeWindow(max(lo) if lo else None, min(hi) if hi else None)

    def trading_date_bounds(self) -> tuple[dt.date | None, dt.date | None]:
        """Inclusive (first, last) trading_date partitions that may hold rows of the window.

        The UTC day of ``start`` minus one day to the UTC day of the last included
        microsecond (``end - 1``) plus two days: exchange-local days differ from UTC days by
        at most one, and an exchange with a ``trading_day_roll`` (its trading day starts the
        evening before) files an event under the local day after that. None on an unbounded
        side.
        """
        day = dt.timedelta(days=1)
        first = last = None
        if self.start_us is not None:
            first = _clamp_date(self.start_us, -day)
        if self.end_us is not None:
            last = _clamp_date(self.end_us - 1, 2 * day)
        return first, last


def _clamp_date(us: int, shift: dt.timedelta) -> dt.date:
    try:
        return (us_to_datetime(us) + shift).date()
    except OverflowError:
        return dt.date.min if shift < dt.timedelta(0) else dt.date.max


def parse_window(
    start: TimeLike | None,
    end: TimeLike | None,
    *,
    tz: str | dt.tzinfo | None = None,
) -> TimeWindow:
    """``[start, end)`` in microseconds; raises :class:`TimeRangeError` if ``end < start``.

    ``start == end`` is a valid, empty window.
    """
    start_us = None if start is None else to_us(start, tz=tz, name="start")
    end_us = None if end is None else to_us(end, tz=tz, name="end")
    if start_us is not None and end_us is not None and end_us < start_us:
        raise TimeRangeError(
            f"end ({end!r} = {end_us} µs) is before start ({start!r} = {start_us} µs); the "
            "window is half-open [start, end): end must be at or after start"
        )
    return TimeWindow(start_us, end_us)


#: Microseconds shown as ISO times: 0001-01-02 .. 9999-12-30 UTC, so no timezone can push
#: them out of the calendar. Values outside (sentinels such as dim_symbol's open end) stay
#: integers, as text.
_ISO_MIN_US = -62_135_510_400_000_000
_ISO_MAX_US = 253_402_128_000_000_000
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.6f%:z"


def iso_time(column: str, tz: str | dt.tzinfo | None = None) -> pl.Expr:
    """Integer microseconds since the epoch in ``column`` -> ISO 8601 text in ``tz``
    (default UTC), e.g. ``2024-03-01T09:30:00.000000+08:00``. Nulls stay null; values too
    far from the epoch for a calendar date (such as an open-ended window's end) are shown as
    their integer. Raises :class:`TimeRangeError` for an unknown timezone."""
    zone = _zone(tz)
    name = getattr(zone, "key", None) or ("UTC" if zone == dt.UTC else None)
    if name is None:
        raise TimeRangeError(f"timezone {tz!r} has no IANA name; pass one such as 'UTC'")
    us = pl.col(column)
    in_range = pl.when((us >= _ISO_MIN_US) & (us < _ISO_MAX_US)).then(us)
    return (
        in_range.cast(pl.Datetime("us", "UTC"))
        .dt.convert_time_zone(name)
        .dt.to_string(ISO_FORMAT)
        .fill_null(us.cast(pl.String))
        .alias(column)
    )


def time_columns(schema: pl.Schema) -> list[str]:
    """The columns holding microseconds since the epoch: Int64 columns named ``*_us``."""
    return [n for n, d in schema.items() if n.endswith("_us") and d == pl.Int64()]
