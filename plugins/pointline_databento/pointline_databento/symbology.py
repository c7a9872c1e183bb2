"""instrument_id -> raw symbol at the event's date, from the file's header mappings.

Databento reassigns instrument ids over time and CME recycles raw symbols a decade apart
(ESH1 in 2021 and 2031), so neither alone names a contract: a record's ``symbol`` is the raw
symbol its instrument_id had on the record's date per the file's own mappings. Mappings are
dated by UTC day; CME's session opens the evening before its mapped day (a 23:30 UTC Sunday
record belongs to Monday's mapping), so a record without a mapping on its UTC day takes the
next day's. A record with neither has a null symbol and is rejected as ``no_symbol_mapping``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pointline_databento.dbnfile import DbnHeader
from pointline_databento.formats import NS_PER_DAY

#: Longest mapping interval expanded per day; longer ones are clipped to the file's range.
_PAD = dt.timedelta(days=1)


def lookup_table(header: DbnHeader) -> pl.DataFrame:
    """One row per (instrument_id, UTC date) with the raw symbol, for the file's date range."""
    schema = {"instrument_id": pl.Int64(), "day": pl.Date(), "symbol": pl.String()}
    if not header.intervals:
        return pl.DataFrame(schema=schema)
    first = _day(header.start_ns) - _PAD
    last = _day(header.end_ns) + _PAD if header.end_ns is not None else None
    rows = pl.DataFrame(
        {
            "instrument_id": [iv.instrument_id for iv in header.intervals],
            "symbol": [iv.raw_symbol for iv in header.intervals],
            "start": [max(iv.start_date, first) for iv in header.intervals],
            "end": [
                iv.end_date if last is None else min(iv.end_date, last) for iv in header.intervals
            ],
        },
        schema_overrides={"instrument_id": pl.Int64()},
    )
    days = (
        rows.filter(pl.col("start") < pl.col("end"))
        .with_columns(
            day=pl.date_ranges("start", pl.col("end") - pl.duration(days=1), interval="1d")
        )
        .explode("day")
        .select(list(schema))
    )
    # One symbol per (id, day): a header never maps one id to two symbols on one day, but if it
    # did, the alphabetically first wins so the result stays deterministic.
    return days.sort("instrument_id", "day", "symbol").unique(
        ["instrument_id", "day"], keep="first", maintain_order=True
    )


def _day(ns: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=ns // NS_PER_DAY)


def with_symbol(frame: pl.DataFrame, lookup: pl.DataFrame) -> pl.DataFrame:
    """Add ``symbol`` (String, null where no mapping covers the record's day or the next)."""
    utc_day = (pl.col("ts_event") // NS_PER_DAY).cast(pl.Int32).cast(pl.Date)
    keyed = frame.with_columns(_day=utc_day, _next=utc_day + pl.duration(days=1))
    same = lookup.rename({"day": "_day", "symbol": "_same"})
    nxt = lookup.rename({"day": "_next", "symbol": "_nextsym"})
    out = keyed.join(same, on=["instrument_id", "_day"], how="left", maintain_order="left").join(
        nxt, on=["instrument_id", "_next"], how="left", maintain_order="left"
    )
    return out.with_columns(symbol=pl.coalesce("_same", "_nextsym")).drop(
        "_day", "_next", "_same", "_nextsym"
    )
