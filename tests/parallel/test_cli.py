"""`pointline ingest --workers/--executor` through the real command line."""

from __future__ import annotations

import json

from tests.robustness.conftest import assert_one_line_error, run_pointline


def test_workers_below_one_is_one_line(tmp_path):
    (tmp_path / "bronze").mkdir()
    proc = run_pointline(["ingest", tmp_path / "bronze", tmp_path / "lake", "--workers", "0"])
    assert_one_line_error(proc, 2, "--workers 0: give at least 1 worker")
    assert not (tmp_path / "lake").exists()


def test_two_process_workers_land_the_sample_day_and_report_them(tmp_path):
    from pointline_tardis.sample import write_sample

    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    write_sample(bronze)
    symbols = bronze / "tardis_instruments.json"
    imported = run_pointline(["symbols", "import", symbols, lake, "--vendor", "tardis"])
    assert imported.returncode == 0, imported.stderr
    symbols.unlink()
    proc = run_pointline(
        ["ingest", bronze, lake, "--workers", "2", "--executor", "process", "--json"],
        env={"POINTLINE_LOAD_PLUGINS": "tardis"},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["executor"], report["workers"]) == ("process", 2)
    assert {f["status"] for f in report["files"]} == {"success"}
    text = run_pointline(["ingest", bronze, lake, "--workers", "2"])
    assert text.returncode == 0 and "nothing new" in text.stdout
