"""`pointline ingest` and `pointline manifest` on the installed plugins' sample data."""

from __future__ import annotations

import json

from pointline_core.cli import main


def _sample(tmp_path):
    from pointline_tardis.sample import write_sample

    bronze = tmp_path / "bronze"
    write_sample(bronze)
    return bronze, bronze / "tardis_instruments.json"


def test_ingest_and_manifest_commands(tmp_path, capsys):
    bronze, instruments = _sample(tmp_path)
    lake = tmp_path / "lake"
    assert main(["symbols", "import", str(instruments), str(lake), "--vendor", "tardis"]) == 0
    capsys.readouterr()

    assert main(["ingest", str(bronze), str(lake), "--vendor", "tardis", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing written" in out and "would ingest" in out
    assert not (lake / "silver" / "trades").exists()

    assert main(["ingest", str(bronze), str(lake), "--vendor", "tardis"]) == 0
    out = capsys.readouterr().out
    assert "rows written" in out and "trades" in out and "failed" not in out

    assert main(["ingest", str(bronze), str(lake), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {f["status"] for f in report["files"]} == {"skipped"}
    assert report["message"].startswith("nothing new")

    assert main(["manifest", str(lake), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries and all(e["status"] == "success" for e in entries)
    assert all(e["rows_total"] == e["rows_written"] + e["rows_quarantined"] for e in entries)
    assert main(["manifest", str(lake), "--status", "failed"]) == 0
    assert "no manifest entries with status failed" in capsys.readouterr().out


def test_failed_file_is_listed_with_its_reason_and_exit_code(tmp_path, capsys):
    bronze, instruments = _sample(tmp_path)
    bad = bronze / "tardis" / "deribit_trades_2024-03-01_BAD.csv"
    bad.write_text("exchange,symbol,timestamp,local_timestamp,id,side,price,amount,extra\n")
    lake = tmp_path / "lake"
    main(["symbols", "import", str(instruments), str(lake), "--vendor", "tardis"])
    capsys.readouterr()
    assert main(["ingest", str(bronze), str(lake), "--vendor", "tardis"]) == 1
    out = capsys.readouterr().out
    assert "failed files:" in out and "deribit_trades_2024-03-01_BAD.csv" in out
    assert "extra" in out  # the reason names the offending column
    assert main(["manifest", str(lake), "--status", "failed"]) == 0
    out = capsys.readouterr().out
    assert "BAD.csv" in out and "extra" in out
