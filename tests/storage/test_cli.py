from __future__ import annotations

import json

import pytest

from pointline_core.cli import main
from pointline_core.cli.storage_cmd import parse_partition
from pointline_core.errors import MaintenanceError
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.events import EventStore


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch):
    # the commands must work with the core tables alone, whatever plugins are installed
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_symbols_import_is_idempotent(lake, tmp_path, capsys):
    path = tmp_path / "symbols.csv"
    path.write_text(
        "exchange,exchange_symbol,valid_from,tick_size\nexa,AAA,2024-01-01,0.01\n"
        "exa,BBB,2024-01-01,0.5\n"
    )
    code, out, _ = _run(capsys, "symbols", "import", str(path), str(lake.root))
    assert code == 0
    assert "committed version 0" in out and "opened" in out
    code, out, _ = _run(capsys, "symbols", "import", str(path), str(lake.root), "--json")
    report = json.loads(out)
    assert code == 0 and report["version"] is None and report["windows_unchanged"] == 2
    assert report["source"] == str(path)


def test_symbols_import_with_unknown_vendor_fails_cleanly(lake, tmp_path, capsys):
    path = tmp_path / "instruments.json"
    path.write_text("{}")
    code, _, err = _run(capsys, "symbols", "import", str(path), str(lake.root), "--vendor", "nv")
    assert code == 2 and "pointline: error:" in err and "'nv'" in err


def test_symbols_import_reports_bad_rows(lake, tmp_path, capsys):
    path = tmp_path / "symbols.csv"
    path.write_text("exchange,exchange_symbol,valid_from\nexa,AAA,yesterday\n")
    code, _, err = _run(capsys, "symbols", "import", str(path), str(lake.root))
    assert code == 2 and "cannot read valid_from ['yesterday']" in err


def test_compact_and_vacuum_commands(lake, trades, capsys):
    store = EventStore(lake, TRADES)
    for fid in (1, 2, 3):
        store.append([trades(fid, 4)], [fid])
    root = str(lake.root)
    part = "exchange=exa,trading_date=2024-01-02"
    code, out, _ = _run(capsys, "compact", root, "trades", "--partition", part, "--dry-run")
    assert code == 0 and "would_compact" in out and "dry run" in out
    code, out, _ = _run(capsys, "compact", root, "trades", "--partition", part, "--json")
    report = json.loads(out)
    assert code == 0
    assert report["partitions"][0]["files_before"] == 3
    assert report["partitions"][0]["files_after"] == 1
    assert report["partitions"][0]["partition"] == {
        "exchange": "exa",
        "trading_date": "2024-01-02",
    }
    code, _, err = _run(capsys, "compact", root, "trades")
    assert code == 2 and "--partition exchange=...,trading_date=..." in err
    code, _, err = _run(capsys, "vacuum", root, "../trades")
    assert code == 2 and "invalid table name '../trades'" in err
    code, _, err = _run(capsys, "compact", root, "trades", "--partition", "exchange=exa")
    assert code == 2 and "must name exactly its partition columns" in err

    code, out, _ = _run(capsys, "vacuum", root, "trades")
    assert code == 0 and "would remove 0 files" in out
    args = ("vacuum", root, "trades", "--retention-hours", "0")
    code, _, err = _run(capsys, *args)
    assert code == 2 and "--no-enforce-retention" in err
    code, out, _ = _run(capsys, *args, "--no-enforce-retention", "--json")
    report = json.loads(out)
    assert report["dry_run"] and report["file_count"] == 3
    code, out, _ = _run(capsys, *args, "--no-enforce-retention", "--execute")
    assert code == 0 and "removed 3 files" in out
    assert store.count_rows() == 12


def test_compact_unpartitioned_control_table(lake, capsys):
    from pointline_core.storage.manifest import FileIdentity, ManifestStore

    for i in range(3):
        ManifestStore(lake).allocate([FileIdentity("v", "t", f"p{i}", "0" * 64)], [None])
    code, out, _ = _run(capsys, "compact", str(lake.root), "ingest_manifest", "--zone", "control")
    assert code == 0 and "(whole table)" in out and "compacted" in out


def test_parse_partition():
    assert parse_partition("exchange=a,trading_date=2024-01-02") == {
        "exchange": "a",
        "trading_date": "2024-01-02",
    }
    assert parse_partition("exchange=a/trading_date=__HIVE_DEFAULT_PARTITION__") == {
        "exchange": "a",
        "trading_date": None,
    }
    with pytest.raises(MaintenanceError, match="key=value"):
        parse_partition("exchange")
