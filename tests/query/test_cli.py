"""``pointline read`` and ``pointline coverage`` on a real lake."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pointline_core import query
from pointline_core.cli import main
from pointline_core.schemas.tables import BOOK_SNAPSHOTS
from pointline_core.storage.events import EventStore
from tests.query import vendor
from tests.query.conftest import DAY, T0, book_rows, ingest, listed


@pytest.fixture(autouse=True)
def _core_tables_only(monkeypatch):
    # the commands must work with the core tables alone, whatever plugins are installed
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "")


@pytest.fixture
def cli_lake(bronze, lake):
    listed(lake, ("utcx", "AAA"), ("utcx", "BBB"))
    for day in range(3):
        start = T0 + day * DAY
        rows = [
            (start + i * 1000, start + i * 1000 + 1, f"{100 + i}.25", "0.5", "b", f"{day}-{i}")
            for i in range(30)
        ]
        vendor.write(bronze, "utcx", "AAA", str(day), rows)
        vendor.write(bronze, "utcx", "BBB", str(day), rows[:2])
    ingest(bronze, lake)
    return lake


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


ARGS = ("--exchange", "utcx", "--symbol", "AAA", "--start", "2024-03-02", "--end", "2024-03-03")


def test_read_csv_equals_the_python_api(cli_lake, capsys):
    code, out, _ = _run(capsys, "read", str(cli_lake.root), "trades", *ARGS, "--format", "csv")
    assert code == 0
    expected = query.load(
        cli_lake,
        "trades",
        exchange="utcx",
        symbol="AAA",
        start="2024-03-02",
        end="2024-03-03",
        decoded=True,
    ).collect()
    got = pl.read_csv(io.StringIO(out), schema=expected.schema)
    assert_frame_equal(got, expected)
    assert got.height == 30 and got["price"][1] == 101.25


def test_read_table_limits_and_says_so(cli_lake, capsys):
    code, out, err = _run(capsys, "read", str(cli_lake.root), "trades", *ARGS)
    assert code == 0
    assert "101.25" in out and "first 20 rows" in err
    code, out, err = _run(capsys, "read", str(cli_lake.root), "trades", *ARGS, "--limit", "3")
    assert code == 0 and "102.25" in out and "103.25" not in out
    code, out, _ = _run(
        capsys,
        "read",
        str(cli_lake.root),
        "trades",
        *ARGS,
        "--raw",
        "--limit",
        "1",
        "--columns",
        "ts_event_us,price",
    )
    assert "101.25" not in out and "100.250000000000000000" in out and "side" not in out


def test_read_parquet_needs_output_and_round_trips(cli_lake, tmp_path, capsys):
    code, _, err = _run(capsys, "read", str(cli_lake.root), "trades", "--format", "parquet")
    assert code == 2 and "--output FILE" in err
    target = tmp_path / "out" / "aaa.parquet"
    code, _, _ = _run(
        capsys,
        "read",
        str(cli_lake.root),
        "trades",
        "--symbol",
        "AAA",
        "--format",
        "parquet",
        "--output",
        str(target),
        "--decimal",
    )
    assert code == 0
    frame = pl.read_parquet(target)
    assert frame.height == 90 and frame.schema["price"] == pl.Decimal(38, 18)
    assert frame.equals(query.load(cli_lake, "trades", symbol="AAA", decoded="decimal").collect())
    csv = tmp_path / "aaa.csv"
    code, _, _ = _run(
        capsys,
        "read",
        str(cli_lake.root),
        "trades",
        "--symbol",
        "BBB",
        "--format",
        "csv",
        "--output",
        str(csv),
        "--limit",
        "4",
    )
    assert code == 0 and pl.read_csv(csv).height == 4


def test_read_explain_lists_the_files_it_would_touch(cli_lake, capsys):
    code, out, _ = _run(capsys, "read", str(cli_lake.root), "trades", *ARGS, "--explain")
    assert code == 0
    assert out.startswith("trades: 1 of 3 files may hold matching rows")
    assert "trading_date=2024-03-02" in out


def test_read_errors_exit_2_with_a_reason(cli_lake, capsys):
    root = str(cli_lake.root)
    code, _, err = _run(capsys, "read", root, "trades", "--symbol", "AAB")
    assert code == 2 and "did you mean AAA" in err
    code, _, err = _run(capsys, "read", root, "trades", "--start", "soon")
    assert code == 2 and "cannot read start='soon'" in err
    code, _, err = _run(capsys, "read", root, "nope")
    assert code == 2 and "unknown table 'nope'" in err


def test_coverage_table_and_json(cli_lake, capsys):
    code, out, _ = _run(capsys, "coverage", str(cli_lake.root))
    assert code == 0
    assert "AAA" in out and "2024-03-01" in out and "2024-03-03" in out
    code, out, _ = _run(capsys, "coverage", str(cli_lake.root), "trades", "--json")
    rows = json.loads(out)
    assert [(r["symbol"], r["rows"], r["days"]) for r in rows] == [("AAA", 90, 3), ("BBB", 6, 3)]
    assert rows[0]["first_trading_date"] == "2024-03-01"
    code, out, _ = _run(capsys, "coverage", str(cli_lake.root), "quotes")
    assert code == 0 and "no event rows" in out


def test_read_csv_writes_book_levels_as_bracketed_lists(lake, capsys):
    EventStore(lake, BOOK_SNAPSHOTS).append([book_rows()], file_ids=[1])
    code, out, _ = _run(capsys, "read", str(lake.root), "book_snapshots", "--format", "csv")
    assert code == 0
    row = pl.read_csv(io.StringIO(out)).row(0, named=True)
    assert row["bid_prices"] == "[61000.5,null]"
    assert row["ask_qtys"] == "[1e-8,1.23456789]"
