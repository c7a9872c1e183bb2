"""Targeted backfill: `ingest --force` limited by table, exchange, trading dates and path."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import polars as pl
import pytest

from pointline_core import ingest
from pointline_core.cli import main
from pointline_core.errors import SelectionError
from pointline_core.ingest.select import FileSelection
from tests.ingest.conftest import DAY, T0, date, open_symbols, silver, trades
from tests.ingest.fake_vendor import write_trades


def _tree(root) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def ingested(bronze, lake_root, plugins):
    """utcx/A on 2024-01-01, utcx/B on 2024-01-06, cnx/C on 2024-01-01 (Shanghai)."""
    write_trades(bronze, "utcx", "A", trades(20))
    write_trades(bronze, "utcx", "B", trades(15, start=T0 + 5 * DAY))
    write_trades(bronze, "cnx", "C", trades(10, start=T0 + 3600_000_000))
    open_symbols(lake_root, ("utcx", "A"), ("utcx", "B"), ("cnx", "C"))
    assert ingest(bronze, lake_root, plugins=plugins, progress=False).ok
    return bronze, lake_root


def _prices(lake_root) -> dict[str, set[int]]:
    rows = silver(lake_root).group_by("symbol").agg(pl.col("price").unique())
    return {s: set(p) for s, p in rows.iter_rows()}


def test_force_by_exchange_and_month_replaces_only_those_files_exactly_once(ingested, plugins):
    bronze, lake_root = ingested
    old = _prices(lake_root)
    # The vendor corrects A (utcx, January) and C (cnx): only A is asked for.
    write_trades(bronze, "utcx", "A", trades(20, price="101.5"))
    write_trades(bronze, "cnx", "C", trades(10, start=T0 + 3600_000_000, price="101.5"))
    january = FileSelection(exchange="utcx", date_from=date(2024, 1, 1), date_to=date(2024, 1, 5))

    before = _tree(lake_root)
    dry = ingest(bronze, lake_root, plugins=plugins, force=True, dry_run=True, selection=january)
    assert [(f.rel_path, f.status) for f in dry.files] == [("fakevendor/utcx/A.csv", "success")]
    assert dry.selection == january
    assert _tree(lake_root) == before, "a dry run writes nothing"

    report = ingest(bronze, lake_root, plugins=plugins, force=True, selection=january)
    assert [(f.rel_path, f.status) for f in report.files] == [("fakevendor/utcx/A.csv", "success")]
    rows = silver(lake_root)
    assert rows.height == 45
    assert rows.select(pl.struct("file_id", "file_seq").n_unique()).item() == 45
    prices = _prices(lake_root)
    assert prices["A"] == {Decimal("101.5")} != old["A"]
    assert prices["B"] == old["B"] and prices["C"] == old["C"], "C was not selected"

    # Running the same backfill again replaces A's rows with themselves: still once each.
    again = ingest(bronze, lake_root, plugins=plugins, force=True, selection=january)
    assert [f.status for f in again.files] == ["success"]
    assert silver(lake_root).height == 45


def test_path_glob_and_table_select_by_file(ingested, plugins):
    bronze, lake_root = ingested
    by_path = FileSelection(table="trades", path_glob="*/cnx/*")
    report = ingest(bronze, lake_root, plugins=plugins, force=True, selection=by_path)
    assert [f.rel_path for f in report.files] == ["fakevendor/cnx/C.csv"]
    # Dates overlap when any day of the file falls in the range: B spans 2024-01-06 only.
    late = FileSelection(date_from=date(2024, 1, 6))
    report = ingest(bronze, lake_root, plugins=plugins, force=True, selection=late)
    assert [f.rel_path for f in report.files] == ["fakevendor/utcx/B.csv"]
    none = FileSelection(table="book_snapshots")
    report = ingest(bronze, lake_root, plugins=plugins, force=True, selection=none)
    assert report.files == []
    assert report.message == "no discovered Bronze file matches the selection; nothing written"
    assert silver(lake_root).height == 45


def test_a_new_file_matches_a_table_filter_but_no_date_filter(ingested, plugins):
    bronze, lake_root = ingested
    write_trades(bronze, "utcx", "D", trades(5, start=T0 + DAY))
    open_symbols(lake_root, ("utcx", "D"))
    dated = FileSelection(date_from=date(2024, 1, 2), date_to=date(2024, 1, 2))
    report = ingest(bronze, lake_root, plugins=plugins, dry_run=True, selection=dated)
    assert report.files == [], "the manifest does not know a new file's dates yet"
    report = ingest(bronze, lake_root, plugins=plugins, selection=FileSelection(table="trades"))
    assert {(f.rel_path, f.status) for f in report.files if f.status != "skipped"} == {
        ("fakevendor/utcx/D.csv", "success")
    }


def test_a_reversed_range_is_refused(ingested, plugins):
    bronze, lake_root = ingested
    with pytest.raises(SelectionError, match="--from 2024-02-01 is after --to 2024-01-01"):
        ingest(
            bronze,
            lake_root,
            plugins=plugins,
            selection=FileSelection(date_from=date(2024, 2, 1), date_to=date(2024, 1, 1)),
        )


def test_cli_dry_run_lists_the_selected_files(tmp_path, capsys):
    from pointline_tardis.sample import write_sample

    bronze = tmp_path / "bronze"
    write_sample(bronze)
    lake = tmp_path / "lake"
    instruments = str(bronze / "tardis_instruments.json")
    assert main(["symbols", "import", instruments, str(lake), "--vendor", "tardis"]) == 0
    assert main(["ingest", str(bronze), str(lake), "--vendor", "tardis"]) == 0
    capsys.readouterr()
    assert main(["manifest", str(lake), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    trades_paths = sorted(e["bronze_path"] for e in entries if e["table_name"] == "trades")
    assert trades_paths and len(trades_paths) < len(entries)

    argv = ["ingest", str(bronze), str(lake), "--force", "--table", "trades", "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    n = len(trades_paths)
    assert f"selected files ({n}; {n} would be ingested)" in out
    listed = sorted(line.split()[0] for line in out.split("selected files")[1].splitlines()[1:])
    assert listed == trades_paths

    with pytest.raises(SystemExit):
        main([*argv, "--from", "2024-13-01"])
    assert "is not a date; write YYYY-MM-DD" in capsys.readouterr().err
