"""The venues: IANA zones, asset classes, and CME's 17:00 roll agreeing with its calendar."""

from __future__ import annotations

import datetime as dt

import polars as pl
from pointline_databento.exchanges import DATASETS, exchange_infos

from pointline_core.calendars import sessions
from pointline_core.ingest.calendar import with_trading_date


def test_the_datasets_venues_are_declared():
    infos = {e.name: e for e in exchange_infos()}
    assert set(DATASETS.values()) == set(infos)
    assert (infos["glbx"].timezone, infos["glbx"].asset_class) == ("America/Chicago", "futures")
    assert (infos["xnas"].timezone, infos["xnas"].asset_class) == ("America/New_York", "equity")
    assert [infos[n].trading_day_roll for n in ("glbx", "xnas", "xnys")] == ["17:00", "", ""]


def test_the_roll_files_events_under_the_cme_session_that_holds_them():
    """Every hour of a week around both 2021 DST changes: the trading_date the core derives
    from the 17:00 roll is the label of the CME (CMES) session whose [open, close) holds the
    event, whenever one does."""
    glbx = next(e for e in exchange_infos() if e.name == "glbx")
    for start in (dt.date(2021, 3, 8), dt.date(2021, 11, 1)):
        cal = sessions(glbx, start, start + dt.timedelta(days=10)).filter("is_session")
        first = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
        ts = [(first + h * 3600) * 1_000_000 for h in range(24 * 9)]
        events = with_trading_date(
            pl.DataFrame({"exchange": ["glbx"] * len(ts), "ts_event_us": ts}),
            {"glbx": glbx.timezone},
            {"glbx": glbx.trading_day_roll},
        )
        joined = events.join_where(
            cal, pl.col("ts_event_us") >= pl.col("open_ts_us"),
            pl.col("ts_event_us") < pl.col("close_ts_us"),
        )  # fmt: skip
        assert joined.height > 24 * 5  # most hours fall in a session
        assert (joined["trading_date"] == joined["trading_date_right"]).all()
