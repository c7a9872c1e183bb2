"""start/end: dates, naive and aware datetimes, ISO text, integer µs; half-open windows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pointline_core.errors import TimeRangeError
from pointline_core.query.time import TimeWindow, iso_time, parse_window, time_columns, to_us

MAR1 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
HOUR = 3_600_000_000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2024, 3, 1), MAR1),  # a date: UTC midnight
        ("2024-03-01", MAR1),
        (dt.datetime(2024, 3, 1, 9, 30), MAR1 + 9 * HOUR + 30 * 60_000_000),  # naive = UTC
        ("2024-03-01T09:30", MAR1 + 9 * HOUR + 30 * 60_000_000),
        ("2024-03-01 09:30:00.000001", MAR1 + 9 * HOUR + 30 * 60_000_000 + 1),
        # aware datetimes in another timezone: the instant they name
        (dt.datetime(2024, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")), MAR1),
        (dt.datetime(2024, 2, 29, 14, 0, tzinfo=ZoneInfo("Pacific/Honolulu")), MAR1),
        ("2024-03-01T08:00:00+08:00", MAR1),
        ("2024-03-01T00:00:00Z", MAR1),
        (MAR1 + 7, MAR1 + 7),  # integer µs as is
        (str(MAR1 + 7), MAR1 + 7),
        (0, 0),
        (-1, -1),  # before the epoch is still an instant
        (dt.datetime(1969, 12, 31, 23, 59, 59, 999_999), -1),
    ],
)
def test_to_us(value, expected):
    assert to_us(value) == expected


def test_microseconds_are_exact_far_from_the_epoch():
    # float seconds would lose the last microsecond here
    value = dt.datetime(2262, 4, 11, 23, 47, 16, 854_775, tzinfo=dt.UTC)
    assert to_us(value) == 9_223_372_036_854_775


def test_dates_and_naive_datetimes_follow_tz():
    assert to_us(dt.date(2024, 3, 1), tz="Asia/Tokyo") == MAR1 - 9 * HOUR
    assert to_us("2024-03-01T09:00", tz="Asia/Tokyo") == MAR1
    # an explicit offset wins over tz
    assert to_us("2024-03-01T00:00+00:00", tz="Asia/Tokyo") == MAR1
    aware = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    assert to_us(aware, tz="Asia/Tokyo") == MAR1


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "01/03/2024", 1.5, True, None])
def test_unreadable_times_raise(value):
    with pytest.raises(TimeRangeError, match="start"):
        to_us(value, name="start")


def test_compact_date_text_is_refused_as_ambiguous_not_read_as_microseconds():
    with pytest.raises(TimeRangeError, match=r"start='20240301' is ambiguous: .* 2024-03-01"):
        to_us("20240301", name="start")
    assert to_us(20240301) == 20_240_301  # a Python int says microseconds unambiguously
    assert to_us("20241301") == 20_241_301  # not a date: microseconds


def test_unknown_timezone_raises():
    with pytest.raises(TimeRangeError, match="unknown timezone 'Mars/Base'"):
        to_us("2024-03-01", tz="Mars/Base")


def test_window_is_half_open_and_ordered():
    window = parse_window("2024-03-01", dt.date(2024, 3, 2))
    assert window == TimeWindow(MAR1, MAR1 + 24 * HOUR)
    assert parse_window(MAR1, MAR1).empty  # [a, a) is empty, not an error
    with pytest.raises(TimeRangeError, match="end .* is before start"):
        parse_window("2024-03-02", "2024-03-01")
    assert parse_window(None, None) == TimeWindow()
    assert not TimeWindow().bounded


def test_trading_date_bounds_widen_by_a_day_back_and_two_forward():
    # forward two: a local day one ahead of UTC, plus an evening trading-day roll
    window = parse_window("2024-03-01", "2024-03-02")
    # end is exclusive: the last microsecond is still on 03-01, so 03-03 is the last day
    assert window.trading_date_bounds() == (dt.date(2024, 2, 29), dt.date(2024, 3, 3))
    window = parse_window("2024-03-01T23:00", "2024-03-02T00:00:00.000001")
    assert window.trading_date_bounds() == (dt.date(2024, 2, 29), dt.date(2024, 3, 4))
    assert TimeWindow(None, MAR1).trading_date_bounds() == (None, dt.date(2024, 3, 2))
    # far outside the calendar: clamped, never an overflow
    assert TimeWindow(-(2**63), 2**63 - 1).trading_date_bounds() == (dt.date.min, dt.date.max)


def test_intersect():
    assert TimeWindow(5, 10).intersect(7, None) == TimeWindow(7, 10)
    assert TimeWindow(None, 10).intersect(None, 3) == TimeWindow(None, 3)
    assert TimeWindow().intersect(1, 2) == TimeWindow(1, 2)


def test_iso_time_is_total_and_zoned():
    frame = pl.DataFrame({"ts_us": [to_us("2024-03-01T09:30:00+08:00"), None, 2**63 - 1, -1]})
    assert time_columns(frame.schema) == ["ts_us"]
    shown = frame.select(iso_time("ts_us", "Asia/Shanghai"))["ts_us"].to_list()
    assert shown == [
        "2024-03-01T09:30:00.000000+08:00",
        None,
        "9223372036854775807",  # an open end stays an integer, never a crash
        "1970-01-01T07:59:59.999999+08:00",
    ]
    assert frame.select(iso_time("ts_us"))["ts_us"][0] == "2024-03-01T01:30:00.000000+00:00"
    with pytest.raises(TimeRangeError, match="unknown timezone"):
        iso_time("ts_us", "Mars/Olympus")
