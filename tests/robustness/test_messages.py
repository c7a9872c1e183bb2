"""Every usage error a user can meet on the command line ends in one ``pointline: error:``
line with exit code 2 (the messages docs/troubleshooting.md lists; the bad-environment ones
are in test_environment.py). Runs ``pointline_core.cli.main`` in-process against a real lake
built from the Tardis sample day."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pointline_core.cli import main
from tests.robustness.conftest import assert_one_line_error
from tests.robustness.envkit import TARDIS_INSTRUMENTS, tardis_bronze

#: (case id, argv with {lake}/{bronze}/{tmp} placeholders, fragment of the one error line)
CASES = [
    ("unknown-vendor", "ingest {bronze} {lake} --vendor nope", "no plugin provides vendor 'nope'"),
    (
        "unsafe-lake-root",
        "ingest {bronze} {tmp}/lake%20x",
        "Delta readers (delta-rs, polars) cannot read tables under paths with spaces, '#', '%' or "
        "non-ASCII characters",
    ),
    ("source-missing", "extract {tmp}/nowhere {tmp}/b", "does not exist or is not a folder"),
    ("unknown-table", "read {lake} nope", "unknown table 'nope'; known tables:"),
    ("bad-time", "read {lake} trades --start yesterday", "cannot read start='yesterday'"),
    (
        "ambiguous-time",
        "read {lake} trades --start 20240301",
        "is ambiguous: write the date as 2024-03-01",
    ),
    (
        "end-before-start",
        "read {lake} trades --start 2024-03-02 --end 2024-03-01",
        "µs); the window is half-open [start, end): end must be at or after start",
    ),
    (
        "unknown-timezone",
        "read {lake} trades --start 2024-03-01 --tz Mars/Base",
        "unknown timezone 'Mars/Base'",
    ),
    (
        "unknown-symbol",
        "read {lake} trades --symbol NOPE",
        "symbol 'NOPE' not found on any exchange; list symbols with "
        "query.symbols(lake, exchange=..., like=...)",
    ),
    (
        "unknown-symbol-id",
        "read {lake} trades --symbol-id 123",
        "symbol_id 123 not found in dim_symbol; ids come from query.symbols(lake) or the symbol_id "
        "column of a table",
    ),
    (
        "symbol-and-id",
        "read {lake} trades --symbol BTCUSDT --symbol-id 1",
        "give symbol or symbol_id, not both: a symbol_id already names one window of one exchange "
        "symbol",
    ),
    ("unknown-column", "read {lake} trades --columns nope", "table 'trades' has no column 'nope'"),
    ("no-such-version", "read {lake} trades --version 99", "has no version 99"),
    (
        "no-exchange-column",
        "read {lake} ingest_manifest --exchange x",
        "has no exchange column to filter on; drop the exchange argument (--exchange) for "
        "this table",
    ),
    (
        "symbols-file-missing",
        "symbols import {tmp}/nowhere.csv {lake}",
        "does not exist or is not a file",
    ),
    (
        "symbols-unknown-format",
        "symbols import {tmp}/symbols.xyz {lake}",
        "unknown format; use .csv, .csv.gz, .tsv or .parquet, or pass --vendor to read a vendor's "
        "own instrument file",
    ),
    (
        "symbols-missing-columns",
        "symbols import {tmp}/columns.csv {lake}",
        "missing required columns ['exchange_symbol']",
    ),
    (
        "symbols-window-order",
        "symbols import {tmp}/order.csv {lake}",
        "valid_until must be after valid_from; offending rows",
    ),
    (
        "symbols-overlap",
        "symbols import {tmp}/overlap.csv {lake}",
        "end each window at or before the next valid_from of that symbol, or leave valid_until "
        "empty",
    ),
    ("no-delta-table", "vacuum {lake} l3_orders", "no Delta table 'l3_orders'"),
    ("invalid-table-name", "vacuum {lake} ../x", "invalid table name '../x'"),
    (
        "compact-no-partition",
        "compact {lake} trades",
        "name the partitions to compact with --partition",
    ),
    (
        "compact-partial-partition",
        "compact {lake} trades --partition exchange=x",
        "must name exactly its partition columns",
    ),
    (
        "compact-bad-value",
        "compact {lake} trades --partition exchange=x,trading_date=nope",
        "is not a valid Date for column 'trading_date'",
    ),
    (
        "compact-min-files",
        "compact {lake} trades --partition exchange=x,trading_date=2024-03-01 --min-files 0",
        "min_files must be at least 1 (got 0)",
    ),
    (
        "vacuum-retention",
        "vacuum {lake} trades --retention-hours 0",
        "Use a longer retention, or disable the check explicitly (enforce_retention=False / "
        "--no-enforce-retention) if no reader needs older versions",
    ),
    (
        "vacuum-negative",
        "vacuum {lake} trades --retention-hours -1",
        "retention_hours must be >= 0 (got -1)",
    ),
    (
        "migrate-lake-missing",
        "migrate {tmp}/nowhere --rewrite-decimals",
        "does not exist or is not a directory; pass the LAKE argument of `pointline ingest`",
    ),
    (
        "manifest-lake-missing",
        "manifest {tmp}/nowhere",
        "does not exist or is not a directory; pass the LAKE argument of `pointline ingest`",
    ),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("messages")
    bronze = tardis_bronze(root / "bronze")
    lake = root / "lake"
    assert (
        main(
            ["symbols", "import", "--vendor", "tardis", str(bronze / TARDIS_INSTRUMENTS), str(lake)]
        )
        == 0
    )
    assert main(["ingest", str(bronze), str(lake), "--json"]) == 0
    (root / "symbols.xyz").write_text("exchange,exchange_symbol\n")
    head = "exchange,exchange_symbol,valid_from,valid_until\n"
    (root / "columns.csv").write_text("exchange,valid_from\nbitmex,2024-01-01\n")
    (root / "order.csv").write_text(head + "bitmex,XBTUSD,2024-02-01,2024-01-01\n")
    (root / "overlap.csv").write_text(
        head + "bitmex,XBTUSD,2024-01-01,2024-03-01\nbitmex,XBTUSD,2024-02-01,\n"
    )
    return {"lake": str(lake), "bronze": str(bronze), "tmp": str(root)}


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> subprocess.CompletedProcess:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(argv, code, out, err)


@pytest.mark.parametrize(("argv", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_message(world, capsys, argv: str, fragment: str) -> None:
    args = [a.format(**world).replace("%20", " ") for a in argv.split(" ")]
    proc = run_main(args, capsys)
    assert_one_line_error(proc, 2, fragment)
    assert Path(world["lake"], "silver", "trades").is_dir()
