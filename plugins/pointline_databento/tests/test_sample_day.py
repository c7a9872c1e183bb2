"""The sample day end to end: every file lands, mbo splits into l3_orders and l3_trades with
every event kind, and replay inside one microsecond follows the venue's sequence.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import polars as pl
from dbn_testkit import ingest, silver
from pointline_databento.sample import definition_files, write_sample

from pointline_core import query
from pointline_core.symbols import import_symbols


def _lake(tmp_path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    write_sample(bronze)
    for path in definition_files(bronze):
        import_symbols(path, lake, vendor="databento", progress=False)
    return bronze, lake, ingest(bronze, lake)


def test_the_sample_day_lands_completely(tmp_path):
    _bronze, lake, report = _lake(tmp_path)
    assert report.ok and not report.unrecognised
    assert all(f.status == "success" and f.rows_quarantined == 0 for f in report.files)
    counts = {t: silver(lake, t).height for t in
              ("trades", "quotes", "l3_orders", "l3_trades", "book_snapshots", "bars")}  # fmt: skip
    assert counts == {"trades": 26 + 6 + 10, "quotes": 8 + 4 + 5, "l3_orders": 8,
                      "l3_trades": 2, "book_snapshots": 3, "bars": 5}  # fmt: skip
    orders, trades = silver(lake, "l3_orders"), silver(lake, "l3_trades")
    assert set(orders["event_kind"]) == {"add", "cancel", "modify", "clear"}
    assert sorted(trades["event_kind"]) == ["fill", "trade"]
    # trade: side A = the seller hit the bid; fill: the resting bid order 101 was filled
    fill = trades.filter(pl.col("event_kind") == "fill").to_dicts()[0]
    assert (fill["buy_order_ref"], fill["sell_order_ref"], fill["aggressor_side"]) == (
        101, None, "sell")  # fmt: skip
    # biz_index is the record's position in the file: the two tables merge back into it
    merged = pl.concat([orders.select("biz_index", "channel_seq"),
                        trades.select("biz_index", "channel_seq")]).sort("biz_index")  # fmt: skip
    assert merged["biz_index"].to_list() == list(range(10))
    assert merged["channel_seq"].to_list() == list(range(7_000, 7_010))
    clear = orders.filter(pl.col("event_kind") == "clear").to_dicts()[0]
    assert (clear["price"], clear["order_ref"], clear["side"]) == (None, 0, "unknown")
    # the first CME trade is Sunday 17:30 Chicago: Monday's trading date; MSFT is on Monday
    assert silver(lake, "trades")["trading_date"].unique().to_list() == [dt.date(2020, 12, 28)]


def test_replay_inside_one_microsecond_follows_the_sequence(tmp_path):
    _bronze, lake, _report = _lake(tmp_path)
    # two ESH1 trades 400 ns apart: one µs, kept apart by ns and replayed in sequence order
    same_us = (
        query.load(lake, "trades", exchange="glbx", symbol="ESH1")
        .collect()
        .filter(
            pl.col("ts_event_us")
            == pl.col("ts_event_us").filter(pl.col("ts_event_ns") % 1000 == 600).first()
        )  # fmt: skip
    )
    assert same_us.height == 2
    assert same_us["ts_event_ns"].diff().to_list()[1] == 400
    assert same_us["qty"].to_list() == sorted(same_us["qty"].to_list())  # sequence 5000, 5001
    orders = query.load(lake, "l3_orders", exchange="glbx").collect()
    # mbo records pairwise share a µs: replay order = the venue's sequence
    assert orders["channel_seq"].to_list() == sorted(orders["channel_seq"].to_list())
    assert orders["ts_event_ns"].to_list() == sorted(orders["ts_event_ns"].to_list())


def test_the_sample_is_byte_identical_on_every_run(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_sample(a)
    cmd = [sys.executable, "-m", "pointline_databento.sample", str(b)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == 11 and len(out.splitlines()) == 11
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
