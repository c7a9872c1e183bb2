"""`pointline restamp --table/--exchange/--symbol` and the partitions a restamp rewrites."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pointline_core.cli.symbols_cmd import print_restamp
from pointline_core.errors import UnknownTableError
from pointline_core.storage.dim_symbol import DimSymbolStore, PartitionRef
from pointline_core.storage.lake import Lake
from pointline_core.symbols import apply_symbols, restamp_lake
from tests.symbols.conftest import assert_consistent, land, symbols, us, write_trades

BEFORE = symbols(
    ("utcx", "SSS", "2024-01-10", None, "0.1"), ("utcx", "TTT", "2024-01-10", None, "0.1")
)
#: Both windows start earlier: every stored row of both symbols gets a new id.
AFTER = symbols(
    ("utcx", "SSS", "2024-01-07", None, "0.1"), ("utcx", "TTT", "2024-01-07", None, "0.1")
)


@pytest.fixture
def stale(bronze, lake_root, plugins):
    apply_symbols(BEFORE, lake_root, progress=False)
    write_trades(bronze, "SSS", [us(10, 12), us(11, 12)])
    write_trades(bronze, "TTT", [us(12, 12)])
    assert land(bronze, lake_root, plugins).ok
    DimSymbolStore(Lake(lake_root)).apply(AFTER)  # the dimension alone: rows now stale
    return lake_root


def test_symbol_filter_restamps_only_that_symbol_and_names_its_partitions(stale, plugins):
    (dry,) = restamp_lake(stale, dry_run=True, plugins=plugins)
    assert dry.rows_restamped == 3
    assert dry.partitions == tuple(PartitionRef("utcx", dt.date(2024, 1, d)) for d in (10, 11, 12))
    (sss,) = restamp_lake(stale, plugins=plugins, progress=False, symbol="SSS")
    assert sss.rows_restamped == 2
    assert sss.partitions == (
        PartitionRef("utcx", dt.date(2024, 1, 10)),
        PartitionRef("utcx", dt.date(2024, 1, 11)),
    )
    (left,) = restamp_lake(stale, dry_run=True, plugins=plugins)
    assert (left.rows_restamped, left.partitions) == (
        1,
        (PartitionRef("utcx", dt.date(2024, 1, 12)),),
    )
    assert restamp_lake(stale, dry_run=True, plugins=plugins, exchange="other") == ()
    assert restamp_lake(stale, plugins=plugins, progress=False, table="trades", exchange="utcx")
    assert_consistent(stale, expected_rows=3)
    assert restamp_lake(stale, dry_run=True, plugins=plugins) == ()


def test_unknown_table_is_refused(stale, plugins):
    with pytest.raises(UnknownTableError, match="no event table 'quotes'"):
        restamp_lake(stale, plugins=plugins, table="quotes")


def test_import_reports_the_partitions_needing_a_restamp(bronze, lake_root, plugins, capsys):
    apply_symbols(BEFORE, lake_root, progress=False)
    write_trades(bronze, "SSS", [us(10, 12), us(11, 12)])
    assert land(bronze, lake_root, plugins).ok
    report = apply_symbols(AFTER, lake_root, dry_run=True, plugins=plugins, progress=False)
    (trades,) = report.restamp
    assert [p.trading_date.day for p in trades.partitions] == [10, 11]
    print_restamp(report.restamp, dry_run=True)
    out = capsys.readouterr().out
    assert "partitions of trades that need a re-stamp: utcx/2024-01-10, utcx/2024-01-11" in out
    from pointline_core.serde import to_json

    assert json.loads(to_json(report))["restamp"][0]["partitions"][0] == {
        "exchange": "utcx",
        "trading_date": "2024-01-10",
    }


def test_restamp_cli_filters(stale, capsys):
    from pointline_core.cli import main

    assert main(["restamp", str(stale), "--symbol", "TTT", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "partitions of trades that need a re-stamp: utcx/2024-01-12" in out
    assert main(["restamp", str(stale), "--table", "trades", "--exchange", "utcx"]) == 0
    assert "were fixed" in capsys.readouterr().out
    assert main(["restamp", str(stale), "--table", "nope"]) == 2
    assert "pointline: error: no event table 'nope'" in capsys.readouterr().err
