"""The smaller CLI items of issue 15, run through the real ``pointline`` command: vacuum twice,
an exchange the table does not hold, ISO times in ``read``, and ``coverage`` as a plain table.

Each test asserts the exit code, the message and the lake afterwards (rows unchanged).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import polars as pl
import pytest

from pointline_core.schemas.tables import TRADES
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from tests.robustness.conftest import assert_one_line_error, run_pointline, table_rows
from tests.storage.conftest import make_trades

#: The core tables alone: the commands must not depend on which plugins are installed.
NO_PLUGINS = {"POINTLINE_LOAD_PLUGINS": ""}
DAY = dt.date(2024, 1, 2)
#: 2024-01-02T00:00:00Z, the first row's ts_event_us in make_trades
T0 = 1_704_153_600_000_000


def pointline(*args: str | Path) -> tuple[int, str, str]:
    proc = run_pointline(args, env=NO_PLUGINS)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """trades on two exchanges: exa (three files of 4 rows) and exb (one file of 2 rows)."""
    lake = Lake(tmp_path / "lake")
    store = EventStore(lake, TRADES)
    for fid in (1, 2, 3):
        store.append([make_trades(fid, 4, start_seq=0)], [fid])
    store.append([make_trades(4, 2, exchange="exb")], [4])
    return lake


def test_vacuum_execute_twice_reports_nothing_the_second_time(lake):
    root = str(lake.root)
    part = f"exchange=exa,trading_date={DAY}"
    code, out, err = pointline("compact", root, "trades", "--partition", part)
    assert code == 0, err
    args = ("vacuum", root, "trades", "--retention-hours", "0", "--no-enforce-retention")

    code, out, err = pointline(*args)
    assert code == 0, err
    assert "would remove 3 files" in out
    listed = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert len(listed) == 3
    assert all(p.startswith("exchange=exa/trading_date=2024-01-02/part-") for p in listed), out

    code, out, err = pointline(*args, "--execute")
    assert code == 0, err
    assert "removed 3 files" in out
    removed = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert removed == listed  # one form, relative to the table root, in both modes
    assert not any((lake.table_path("trades", "silver") / p).exists() for p in removed)

    code, out, err = pointline(*args, "--execute")
    assert code == 0, err
    assert "removed 0 files" in out
    assert not [line for line in out.splitlines() if line.startswith("  ")], out
    code, out, _ = pointline(*args, "--remove-orphans", "--execute", "--json")
    assert json.loads(out)["files"] == [] and json.loads(out)["file_count"] == 0
    assert table_rows(lake.root, "trades").height == 14  # nothing lost, nothing doubled


def test_read_unknown_exchange_fails_listing_the_known_ones(lake):
    proc = run_pointline(["read", lake.root, "trades", "--exchange", "NOPE"], env=NO_PLUGINS)
    assert_one_line_error(
        proc,
        2,
        "exchange 'NOPE' has no rows in table 'trades'",
        "exchanges in trades: exa, exb",
        "pointline coverage",
    )
    assert proc.stdout == ""


def test_read_misspelt_exchange_suggests_the_close_one(lake):
    args = ["read", lake.root, "trades", "--exchange", "exa", "--exchange", "EXB"]
    proc = run_pointline(args, env=NO_PLUGINS)
    line = assert_one_line_error(proc, 2, "exchange 'EXB' has no rows", "did you mean exb?")
    assert "'exa'" not in line  # only the missing one is named
    # the same read spelt right answers
    proc = run_pointline([*args[:-1], "exb", "--format", "csv"], env=NO_PLUGINS)
    assert proc.returncode == 0, proc.stderr
    assert pl.read_csv(io.StringIO(proc.stdout)).height == 14


def test_read_exchange_of_a_dimension_table_is_checked_too(lake, tmp_path):
    symbols = tmp_path / "symbols.csv"
    symbols.write_text("exchange,exchange_symbol,valid_from\nexa,SYM,2020-01-01\n")
    assert pointline("symbols", "import", symbols, lake.root)[0] == 0
    proc = run_pointline(["read", lake.root, "dim_symbol", "--exchange", "exz"], env=NO_PLUGINS)
    assert_one_line_error(proc, 2, "exchange 'exz' has no rows in table 'dim_symbol'", ": exa.")


def test_read_table_shows_iso_times_in_utc_or_tz(lake):
    code, out, err = pointline("read", lake.root, "trades", "--exchange", "exb")
    assert code == 0, err
    assert "2024-01-02T00:00:00.000000+00:00" in out
    assert str(T0) not in out  # no integer microseconds in the table
    code, out, err = pointline(
        "read", lake.root, "trades", "--exchange", "exb", "--tz", "Asia/Tokyo"
    )
    assert code == 0, err
    assert "2024-01-02T09:00:00.000000+09:00" in out
    code, out, err = pointline("read", lake.root, "trades", "--exchange", "exb", "--no-iso-times")
    assert code == 0, err
    assert str(T0) in out


def test_read_csv_offers_iso_times_and_parquet_keeps_integers(lake, tmp_path):
    base = ("read", lake.root, "trades", "--exchange", "exb", "--columns", "ts_event_us,price")
    code, out, err = pointline(*base, "--format", "csv")
    assert code == 0, err
    assert pl.read_csv(io.StringIO(out))["ts_event_us"].dtype == pl.Int64  # csv default: µs
    code, out, err = pointline(*base, "--format", "csv", "--iso-times", "--tz", "Europe/Paris")
    assert code == 0, err
    frame = pl.read_csv(io.StringIO(out))
    assert frame["ts_event_us"][0] == "2024-01-02T01:00:00.000000+01:00"
    target = tmp_path / "out.parquet"
    code, _, err = pointline(*base, "--format", "parquet", "--output", target)
    assert code == 0, err
    assert pl.read_parquet(target)["ts_event_us"][0] == T0
    proc = run_pointline(
        [*base, "--format", "parquet", "--output", target, "--iso-times"], env=NO_PLUGINS
    )
    assert_one_line_error(proc, 2, "--iso-times is for --format table and csv")


def test_coverage_prints_a_plain_table(lake):
    code, out, err = pointline("coverage", lake.root)
    assert code == 0, err
    lines = out.splitlines()
    assert "shape:" not in out and "│" not in out and "---" not in lines[0]
    assert lines[0].split() == [
        "table",
        "exchange",
        "symbol",
        "first_trading_date",
        "last_trading_date",
        "days",
        "rows",
    ]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["trades", "exa", "SYM", "2024-01-02", "2024-01-02", "1", "12"]
    assert lines[3].split() == ["trades", "exb", "SYM", "2024-01-02", "2024-01-02", "1", "2"]
    assert len(lines) == 4
