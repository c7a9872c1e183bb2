"""A symbols import never orphans a stored row: windows that move, end or split restamp or
quarantine the rows they covered, in the same operation (real Delta lakes, real ingest)."""

from __future__ import annotations

import hashlib

import polars as pl

from pointline_core import query
from pointline_core.storage.dim_symbol import DimSymbolStore, symbol_id
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import ManifestStore
from pointline_core.symbols import _write_journal, apply_symbols, restamp_lake
from tests.symbols.conftest import (
    assert_consistent,
    land,
    rows,
    symbols,
    table_versions,
    us,
    write_trades,
)

S0 = symbols(("utcx", "SSS", "2024-01-10", None, "0.1"))
S1 = symbols(
    ("utcx", "SSS", "2024-01-07", None, "0.1"),
    ("utcx", "SSS", "2024-01-08", "2024-01-11", "0.1"),
    ("utcx", "SSS", "2024-01-14", None, "0.1"),
)


def test_the_reported_history_import_restamps_and_quarantines_instead_of_orphaning(
    bronze, lake_root, plugins
):
    apply_symbols(S0, lake_root, progress=False)
    write_trades(bronze, "SSS", [us(10, 12), us(12, 12)])
    assert land(bronze, lake_root, plugins).ok
    assert rows(lake_root)["symbol_id"].to_list() == [symbol_id("utcx", "SSS", us(10))] * 2

    versions = table_versions(lake_root)
    report = apply_symbols(S1, lake_root, source="s1.csv", progress=False)
    jan7 = symbol_id("utcx", "SSS", us(7))
    after = table_versions(lake_root)
    # one commit per table: the Silver rewrite (restamped and removed rows together), the
    # quarantine append (a quarantine table that did not exist is created first: version 0)
    assert after["silver/trades"] == versions["silver/trades"] + 1
    assert "quarantine/trades" not in versions and after["quarantine/trades"] == 1
    assert (report.windows_opened, report.windows_removed) == (2, 1)
    (trades,) = report.restamp
    assert (trades.table, trades.rows_restamped, trades.rows_quarantined) == ("trades", 1, 1)
    assert_consistent(lake_root, expected_rows=2)
    silver = rows(lake_root)
    assert silver.select("ts_event_us", "symbol_id").rows() == [(us(10, 12), jan7)]
    moved = rows(lake_root, "quarantine")
    assert moved.select("ts_event_us", "reason").rows() == [(us(12, 12), "symbol_not_covered")]
    assert str(symbol_id("utcx", "SSS", us(10))) in moved["detail"][0]
    # reachable by its window's id and by the symbol, with the same id
    by_id = query.load(lake_root, "trades", symbol_id=jan7).collect()
    by_symbol = query.load(lake_root, "trades", symbol="SSS").collect()
    assert by_id.select("ts_event_us", "symbol_id").equals(
        by_symbol.select("ts_event_us", "symbol_id")
    )
    (entry,) = ManifestStore(Lake(lake_root)).entries()
    assert (entry.status, entry.rows_written, entry.rows_quarantined) == ("quarantined", 1, 1)

    # the same file again: nothing changes anywhere
    before = table_versions(lake_root)
    again = apply_symbols(S1, lake_root, progress=False)
    assert again.version is None and again.observations_added == 0 and again.restamp == ()
    assert table_versions(lake_root) == before

    # a corrected history (listed throughout) brings the quarantined row back on retry
    fixed = apply_symbols(
        symbols(("utcx", "SSS", "2024-01-07", None, "0.1")),
        lake_root,
        replace=True,
        progress=False,
    )
    assert fixed.quarantined_now_covered == 1
    assert land(bronze, lake_root, plugins, retry_quarantined=True).ok
    assert_consistent(lake_root, expected_rows=2)
    assert rows(lake_root)["symbol_id"].to_list() == [jan7, jan7]
    assert rows(lake_root, "quarantine").height == 0


def test_late_delisting_moves_the_rows_after_it_and_keeps_the_rest(bronze, lake_root, plugins):
    apply_symbols(symbols(("utcx", "AAA", "2024-01-01", None, "0.1")), lake_root, progress=False)
    write_trades(bronze, "AAA", [us(5), us(6), us(6, 1), us(9)])
    land(bronze, lake_root, plugins)
    report = apply_symbols(
        symbols(("utcx", "AAA", "2024-01-01", "2024-01-06", "0.1")), lake_root, progress=False
    )
    assert report.windows_closed == 1
    assert (report.rows_restamped, report.rows_quarantined) == (0, 3)
    assert_consistent(lake_root, expected_rows=4)
    assert rows(lake_root)["ts_event_us"].to_list() == [us(5)]
    assert query.load(lake_root, "trades", symbol="AAA").collect().height == 1


def test_late_split_restamps_the_rows_after_the_change(bronze, lake_root, plugins):
    apply_symbols(symbols(("utcx", "AAA", "2024-01-01", None, "0.1")), lake_root, progress=False)
    write_trades(bronze, "AAA", [us(3), us(5), us(8)])
    write_trades(bronze, "BBB", [us(3)])  # another symbol: untouched
    apply_symbols(symbols(("utcx", "BBB", "2024-01-01", None, "0.1")), lake_root, progress=False)
    land(bronze, lake_root, plugins)
    bbb = rows(lake_root).filter(pl.col("symbol") == "BBB")
    report = apply_symbols(
        symbols(("utcx", "AAA", "2024-01-05", None, "0.2")), lake_root, progress=False
    )
    assert (report.windows_closed, report.windows_opened) == (1, 1)
    assert (report.rows_restamped, report.rows_quarantined) == (2, 0)
    assert_consistent(lake_root, expected_rows=4)
    aaa = rows(lake_root).filter(pl.col("symbol") == "AAA").sort("ts_event_us")
    assert aaa["symbol_id"].to_list() == [
        symbol_id("utcx", "AAA", us(1)),
        symbol_id("utcx", "AAA", us(5)),
        symbol_id("utcx", "AAA", us(5)),
    ]
    assert rows(lake_root).filter(pl.col("symbol") == "BBB").equals(bbb)


def _tree(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_locks" not in p.parts
    }


def test_dry_run_reports_what_the_import_would_do_and_writes_nothing(bronze, lake_root, plugins):
    apply_symbols(S0, lake_root, progress=False)
    write_trades(bronze, "SSS", [us(10, 12), us(12, 12)])
    land(bronze, lake_root, plugins)
    before = _tree(lake_root)
    dry = apply_symbols(S1, lake_root, dry_run=True, progress=False)
    assert _tree(lake_root) == before
    assert dry.dry_run and dry.version is None
    real = apply_symbols(S1, lake_root, progress=False)
    assert (dry.windows_opened, dry.windows_removed) == (real.windows_opened, real.windows_removed)
    assert dry.restamp == real.restamp


def test_an_import_interrupted_after_its_commit_is_finished_by_the_next_ingest(
    bronze, lake_root, plugins
):
    apply_symbols(S0, lake_root, progress=False)
    write_trades(bronze, "SSS", [us(10, 12), us(12, 12)])
    land(bronze, lake_root, plugins)
    # What a process killed between the dim_symbol commit and the restamp leaves behind:
    # the journal and the new windows, rows still on the old id.
    lake = Lake(lake_root)
    store = DimSymbolStore(lake)
    plan = store.plan(S1)
    journal = _write_journal(lake, plan.touched)
    store.commit(plan)
    stale = restamp_lake(lake_root, dry_run=True, progress=False)
    assert [(r.table, r.rows_restamped, r.rows_quarantined) for r in stale] == [("trades", 1, 1)]

    assert land(bronze, lake_root, plugins).ok  # nothing new to ingest, but it finishes
    assert not journal.exists()
    assert_consistent(lake_root, expected_rows=2)
    assert restamp_lake(lake_root, dry_run=True, progress=False) == ()


def test_restamp_fixes_a_lake_orphaned_before_this_model(bronze, lake_root, plugins):
    apply_symbols(S0, lake_root, progress=False)
    write_trades(bronze, "SSS", [us(10, 12), us(12, 12)])
    land(bronze, lake_root, plugins)
    DimSymbolStore(Lake(lake_root)).apply(S1)  # the dimension alone, as older code did
    (found,) = restamp_lake(lake_root, dry_run=True, progress=False)
    assert (found.rows_restamped, found.rows_quarantined) == (1, 1)
    assert restamp_lake(lake_root, progress=False) == (found,)
    assert_consistent(lake_root, expected_rows=2)
    assert restamp_lake(lake_root, progress=False) == ()


def test_the_report_lists_each_window_the_import_changed(bronze, lake_root, plugins):
    apply_symbols(S0, lake_root, progress=False)
    report = apply_symbols(S1, lake_root, progress=False)
    jan10, jan7, jan8, jan14 = (symbol_id("utcx", "SSS", us(d)) for d in (10, 7, 8, 14))
    by_id = {c.symbol_id: c for c in report.changes}
    assert len(report.changes) == report.windows_opened + report.windows_closed + (
        report.windows_changed + report.windows_removed
    )
    assert by_id[jan10].change == "removed"
    assert (by_id[jan10].old_valid_from_us, by_id[jan10].old_valid_until_us) == (us(10), None)
    # S1's first two rows share attributes: one window from 7 Jan to 11 Jan
    assert by_id[jan7].change == "opened"
    assert (by_id[jan7].new_valid_from_us, by_id[jan7].new_valid_until_us) == (us(7), us(11))
    assert jan8 not in by_id
    assert (by_id[jan14].change, by_id[jan14].new_valid_until_us) == ("opened", None)
