"""ExchangeInfo.trading_day_roll (plugin API 2.1): trading days that start the evening before.

CME Globex's trading day starts at 17:00 America/Chicago on the previous calendar day. The
roll is wall-clock time, so it holds on both sides of the two DST changes; a Sunday open
belongs to Monday. Exchanges without a roll keep the local calendar day, and the Tardis and
Quant360 plugins (built for API 2.0, no roll) still load. A time-window read of a lake finds rows
filed under the next day's partition.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pointline_core import PLUGIN_API_VERSION, query
from pointline_core.errors import ExchangeConflictError, PluginContractError
from pointline_core.exchanges import ExchangeRegistry
from pointline_core.ingest.calendar import with_trading_date
from pointline_core.models import ExchangeInfo
from pointline_core.plugins import load_plugins
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from tests.query.conftest import windows

CHICAGO = "America/Chicago"
ROLLS = {"cme": "17:00"}
ZONES = {"cme": CHICAGO, "calx": CHICAGO}


def _us(text: str) -> int:
    """µs since the epoch of an ISO time with offset."""
    return int(dt.datetime.fromisoformat(text).timestamp()) * 1_000_000


def _dates(exchange: str, *times: str) -> list[dt.date]:
    frame = pl.DataFrame({"exchange": [exchange] * len(times), "ts_event_us": map(_us, times)})
    return with_trading_date(frame, ZONES, ROLLS)["trading_date"].to_list()


@pytest.mark.parametrize(
    ("local_time", "trading_date"),
    [
        # an ordinary Tuesday (CST, UTC-6): 16:59:59 is still Tuesday, 17:00 is Wednesday
        ("2021-01-12T16:59:59-06:00", dt.date(2021, 1, 12)),
        ("2021-01-12T17:00:00-06:00", dt.date(2021, 1, 13)),
        ("2021-01-12T23:59:59-06:00", dt.date(2021, 1, 13)),
        ("2021-01-13T00:00:00-06:00", dt.date(2021, 1, 13)),
        # Sunday open 2020-12-27 17:00 CST = 23:00 UTC: Monday's session
        ("2020-12-27T17:00:00-06:00", dt.date(2020, 12, 28)),
        ("2020-12-27T23:30:00+00:00", dt.date(2020, 12, 28)),
        ("2020-12-27T16:59:59-06:00", dt.date(2020, 12, 27)),
        # spring forward (2021-03-14, Sunday: 02:00 CST -> 03:00 CDT): the open is 17:00 CDT
        ("2021-03-14T16:59:59-05:00", dt.date(2021, 3, 14)),
        ("2021-03-14T17:00:00-05:00", dt.date(2021, 3, 15)),
        ("2021-03-14T22:00:00+00:00", dt.date(2021, 3, 15)),  # 17:00 CDT
        ("2021-03-14T21:59:59+00:00", dt.date(2021, 3, 14)),
        # fall back (2021-11-07, Sunday: 02:00 CDT -> 01:00 CST): the open is 17:00 CST
        ("2021-11-07T16:59:59-06:00", dt.date(2021, 11, 7)),
        ("2021-11-07T23:00:00+00:00", dt.date(2021, 11, 8)),  # 17:00 CST
        ("2021-11-07T22:59:59+00:00", dt.date(2021, 11, 7)),
        # the repeated 01:xx hour of the fall-back night is early morning: still the 7th
        ("2021-11-07T01:30:00-05:00", dt.date(2021, 11, 7)),
        ("2021-11-07T01:30:00-06:00", dt.date(2021, 11, 7)),
    ],
)
def test_roll_at_17_chicago_on_both_sides_and_across_dst(local_time: str, trading_date):
    assert _dates("cme", local_time) == [trading_date]


def test_an_exchange_without_roll_keeps_the_local_calendar_day():
    times = ("2021-01-12T17:00:00-06:00", "2021-03-14T17:00:00-05:00")
    assert _dates("calx", *times) == [dt.date(2021, 1, 12), dt.date(2021, 3, 14)]


def test_one_batch_mixes_rolling_and_calendar_exchanges():
    frame = pl.DataFrame(
        {
            "exchange": ["cme", "calx", "cme"],
            "ts_event_us": [_us("2021-01-12T18:00:00-06:00")] * 2 + [_us("2021-01-12T09:00-06:00")],
        }
    )
    got = with_trading_date(frame, ZONES, ROLLS)["trading_date"].to_list()
    assert got == [dt.date(2021, 1, 13), dt.date(2021, 1, 12), dt.date(2021, 1, 12)]


@pytest.mark.parametrize("roll", ["5pm", "24:00", "17", "17:60", "7:00"])
def test_a_malformed_roll_fails_the_plugin_with_the_fix(roll: str):
    registry = ExchangeRegistry()
    with pytest.raises(PluginContractError, match=r"trading_day_roll .* 'HH:MM'"):
        registry.add(ExchangeInfo("cme", CHICAGO, "futures", trading_day_roll=roll), "p")


def test_two_plugins_must_agree_on_the_roll():
    registry = ExchangeRegistry()
    registry.add(ExchangeInfo("cme", CHICAGO, "futures", trading_day_roll="17:00"), "first")
    registry.add(
        ExchangeInfo("cme", CHICAGO, "futures", "other words", trading_day_roll="17:00"), "second"
    )
    with pytest.raises(ExchangeConflictError, match="trading_day_roll='17:00'.*'third'"):
        registry.add(ExchangeInfo("cme", CHICAGO, "futures"), "third")
    assert registry.day_rolls() == {"cme": "17:00"}


def test_two_plugins_must_agree_on_the_calendar():
    registry = ExchangeRegistry()
    registry.add(ExchangeInfo("cme", CHICAGO, "futures", calendar="CMES"), "first")
    with pytest.raises(ExchangeConflictError, match="calendar='CMES'.*'second'"):
        registry.add(ExchangeInfo("cme", CHICAGO, "futures", calendar="XNYS"), "second")


def test_the_shipped_plugins_load_unchanged_under_api_2_minor_versions():
    plugins = load_plugins()
    assert PLUGIN_API_VERSION.split(".")[0] == "2"
    assert {"tardis", "quant360", "databento"} <= set(plugins.names())
    assert not plugins.failures
    rolls = plugins.exchanges.day_rolls()
    assert rolls == {"glbx": "17:00"}  # only the CME venue rolls; crypto and China do not
    assert plugins.exchanges.get("sse").trading_day_roll == ""
    # the CME calendar's sessions are labelled like the roll files them: by the closing day
    assert plugins.exchanges.get("glbx").calendar == "CMES"


def test_a_window_read_finds_rows_filed_two_days_after_their_utc_day(tmp_path):
    """Pruning stays correct at the extreme: UTC+14 with a 12:00 roll files an event of
    2020-12-27 23:30 UTC (13:30 local on the 28th) under trading date 2020-12-29, and a read
    of [12-27 23:00, 12-28 00:00) UTC still opens that partition."""
    zones, rolls = {"kirx": "Pacific/Kiritimati"}, {"kirx": "12:00"}
    sunday = _us("2020-12-27T23:30:00+00:00")
    day = with_trading_date(
        pl.DataFrame({"exchange": ["kirx"], "ts_event_us": [sunday]}), zones, rolls
    )["trading_date"].item()
    assert day == dt.date(2020, 12, 29)
    lake = Lake(tmp_path / "lake")
    windows(lake, [("kirx", "ESH1", _us("2020-01-01T00:00:00+00:00"), None, "0.25")])
    symbol_id = DimSymbolStore(lake).frame()["symbol_id"].item()
    rows = pl.DataFrame(
        {
            "exchange": ["kirx"] * 2,
            "trading_date": [day] * 2,
            "symbol": ["ESH1"] * 2,
            "symbol_id": [symbol_id] * 2,
            "ts_event_us": [sunday, sunday + 1],
            "ts_local_us": [sunday + 10, sunday + 11],
            "file_id": [1, 1],
            "file_seq": [0, 1],
            "trade_id": [None, None],
            "side": ["buy", "sell"],
            "price": [3_702_250_000_000] * 2,
            "qty": [100_000_000] * 2,
            "ts_event_ns": [sunday * 1000 + 17, (sunday + 1) * 1000 + 5],
            "ts_local_ns": [None, None],
        },
        schema=TRADES.polars_schema(),
    )
    EventStore(lake, TRADES).append([rows], file_ids=[1])
    got = query.load(
        lake, "trades", exchange="kirx", start="2020-12-27T23:00:00Z", end="2020-12-28T00:00:00Z"
    ).collect()
    assert got["ts_event_ns"].to_list() == rows["ts_event_ns"].to_list()
    assert got["trading_date"].unique().to_list() == [day]
