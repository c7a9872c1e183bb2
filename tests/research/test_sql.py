"""query.sql / pointline sql on the demo lake: every table is a view whose count equals
polars' count, decoded views are exact, and a missing DuckDB says how to install it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pointline_core import query
from pointline_core.cli import main
from pointline_core.errors import QueryError
from pointline_core.gold.derive import derive_bars
from pointline_core.query.sql import connect
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.lake import Lake
from pointline_core.storage.quarantine import QuarantineStore, quarantine_spec
from tests.research.conftest import private_copy
from tests.research.streams import write_streams


@pytest.fixture(scope="module")
def lake(demo_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo lake with Gold bars derived into it."""
    lake = private_copy(demo_lake, tmp_path_factory.mktemp("sql"))
    derive_bars(lake, "1m")
    derive_bars(lake, "1d", table="l3_trades")
    return lake


def test_sql_counts_equal_polars_counts_for_every_table(lake: Path) -> None:
    tables = query.tables(lake)
    assert {"silver", "control", "gold"} <= set(tables["zone"])
    assert {"trades", "dim_symbol", "ingest_manifest", "bars_1m", "bars_1d"} <= set(tables["table"])
    # query.sql is connect + one query; one connection serves the whole loop
    con = connect(lake)
    for name, path in tables.select("table", "path").rows():
        polars_count = pl.scan_delta(path).select(pl.len()).collect().item()
        sql_count = con.sql(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
        assert sql_count == polars_count > 0, name
        # every table has *_us time columns, so every one has a decoded view
        decoded = con.sql(f'SELECT count(*) FROM "{name}_decoded"').fetchall()[0][0]
        assert decoded == polars_count, name
    con.close()
    assert query.sql(lake, "SELECT count(*) AS n FROM trades")["n"].item() == 602


def test_decoded_views_are_exact_and_show_iso_times(lake: Path) -> None:
    want = query.load(lake, "trades", exchange="deribit", decoded="decimal").collect()
    got = query.sql(
        lake,
        "SELECT ts_event_us, price, qty FROM trades_decoded WHERE exchange = 'deribit' "
        "ORDER BY ts_local_us NULLS FIRST, ts_event_us, file_id, file_seq",
    )
    assert got["price"].to_list() == want["price"].to_list()
    assert got["qty"].to_list() == want["qty"].to_list()
    assert got["ts_event_us"][0].startswith("2024-03-01T") and got["ts_event_us"][0].endswith(
        "+00:00"
    )
    # an open window end is not a calendar time: it stays an integer
    ends = query.sql(lake, "SELECT DISTINCT valid_until_ts_us FROM dim_symbol_decoded")
    assert "9223372036854775807" in ends["valid_until_ts_us"].to_list()


def test_sql_errors_are_query_errors(lake: Path) -> None:
    with pytest.raises(QueryError, match="SQL failed: Catalog Error"):
        query.sql(lake, "SELECT * FROM no_such_table")


def test_cli_sql_formats(lake: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["sql", str(lake), "SELECT count(*) AS n FROM l3_trades", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "n\n562\n"
    assert main(["sql", str(lake), "SELECT 1 AS one", "--format", "json"]) == 0
    assert '"one":1' in capsys.readouterr().out.replace(" ", "")
    out = tmp_path / "q.parquet"
    assert (
        main(
            ["sql", str(lake), "SELECT * FROM trades", "--format", "parquet", "--output", str(out)]
        )
        == 0
    )
    assert pl.read_parquet(out).height == 602
    assert main(["sql", str(lake), "SELECT * FROM nope"]) == 2
    assert capsys.readouterr().err.startswith("pointline: error: SQL failed: Catalog Error")


def test_without_duckdb_the_command_says_how_to_install_it(lake: Path) -> None:
    """A real interpreter in which `import duckdb` fails, as in a core-only install."""
    code = (
        "import sys; sys.modules['duckdb'] = None\n"
        "from pointline_core.cli import main\n"
        f"sys.exit(main(['sql', {str(lake)!r}, 'SELECT 1']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "pointline: error: pointline sql needs DuckDB and pyarrow, which are not installed: "
        "pip install 'pointline-core[sql]'"
    )


def test_quarantined_rows_are_their_own_view(tmp_path: Path) -> None:
    """quarantine/trades must not shadow silver/trades: it is quarantine_trades."""
    lake = Lake(tmp_path / "lake")
    write_streams(lake, rows=20, files=1)
    good = query.load(lake, "trades").collect()
    bad = (
        good.head(3)
        .with_columns(reason=pl.lit("non_positive:price"), detail=pl.lit("-1"))
        .cast(dict(quarantine_spec(TRADES).polars_schema()))
        .select(quarantine_spec(TRADES).column_names)
    )
    QuarantineStore(lake, TRADES).append([bad], [good["file_id"][0]])
    con = connect(lake)
    assert con.sql("SELECT count(*) FROM trades").fetchall() == [(20,)]
    assert con.sql("SELECT count(*) FROM quarantine_trades").fetchall() == [(3,)]
    reasons = con.sql("SELECT DISTINCT reason FROM quarantine_trades_decoded").fetchall()
    assert reasons == [("non_positive:price",)]
    con.close()


def test_views_read_null_partitions_empty_tables_and_columns_no_file_has(tmp_path: Path) -> None:
    """DuckDB reads each table's Parquet files itself (no Python callback in the scan): a null
    partition value (Delta's default partition folder) reads as NULL, a table without data
    files is an empty view with its columns, and a column the table gained after its files
    were written reads as NULL in every row, as Delta readers do."""
    from deltalake import DeltaTable, Field

    lake = Lake(tmp_path / "lake")
    write_streams(lake, rows=20, files=1)
    good = query.load(lake, "trades").collect()
    bad = (
        good.head(2)
        .with_columns(
            reason=pl.lit("out_of_range:trading_date"),
            detail=pl.lit("ts"),
            trading_date=pl.lit(None, pl.Date),
        )
        .cast(dict(quarantine_spec(TRADES).polars_schema()))
        .select(quarantine_spec(TRADES).column_names)
    )
    QuarantineStore(lake, TRADES).append([bad], [good["file_id"][0]])
    assert any(
        "__HIVE_DEFAULT_PARTITION__" in p.as_posix()
        for p in (lake.root / "quarantine" / "trades").rglob("*.parquet")
    )
    empty = lake.root / "silver" / "empty_notes"
    pl.DataFrame(schema={"note": pl.String, "px": pl.Decimal(38, 18)}).write_delta(str(empty))
    DeltaTable(str(lake.root / "silver" / "trades")).alter.add_columns(
        [Field("venue_note", "string", nullable=True)]
    )
    con = connect(lake)
    null_day = "SELECT count(*) FROM quarantine_trades WHERE trading_date IS NULL"
    assert con.sql(null_day).fetchall() == [(2,)]
    assert con.sql("SELECT count(*), count(venue_note) FROM trades").fetchall() == [(20, 0)]
    described = con.sql("DESCRIBE empty_notes").fetchall()
    assert [(r[0], r[1]) for r in described] == [("note", "VARCHAR"), ("px", "DECIMAL(38,18)")]
    assert con.sql("SELECT count(*) FROM empty_notes").fetchall() == [(0,)]
    con.close()
