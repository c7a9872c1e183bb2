"""extract(): ledger, skip/retry, failures that do not stop the run, write-once publishing."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import polars as pl
import pytest

from pointline_core import extract as lazy_extract
from pointline_core.cli import main as cli_main
from pointline_core.errors import UnknownVendorError, UpstreamError
from pointline_core.upstream.ledger import UpstreamLedger, ledger_path
from pointline_core.upstream.runner import extract
from tests.upstream import fake_vendor as fv

DAY1 = "bars_20240102"
DAY2 = "bars_20240103"


def members(stem: str, symbols: str = "AAA BBB CCC", rows: int = 20) -> dict[str, bytes]:
    return {f"{stem}/{s}.csv": fv.member_bytes(s + stem, rows) for s in symbols.split()}


def bronze_files(bronze: Path) -> dict[str, bytes]:
    root = bronze / fv.VENDOR
    return {
        p.relative_to(root).as_posix(): gzip.decompress(p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def plugins():
    return fv.plugins()


@pytest.fixture
def src(tmp_path):
    root = tmp_path / "source"
    fv.make_7z(root / fv.VENDOR / f"{DAY1}.7z", members(DAY1))
    fv.make_7z(root / fv.VENDOR / f"{DAY2}.7z", members(DAY2, "AAA DDD"))
    return root


def test_extract_publishes_every_member_gzipped_and_records_success(tmp_path, src, plugins):
    bronze = tmp_path / "bronze"
    report = extract(src, bronze, plugins=plugins)
    assert report.ok and report.archives_total == 2 and report.archives_succeeded == 2
    assert report.members_published == 5 and report.members_existing == 0
    files = bronze_files(bronze)
    expected = {
        f"date={stem[5:]}/{name.split('/')[1]}.gz": data
        for stem, m in ((DAY1, members(DAY1)), (DAY2, members(DAY2, "AAA DDD")))
        for name, data in m.items()
    }
    assert files == expected
    ledger = UpstreamLedger(ledger_path(bronze)).frame().sort("archive_name")
    assert ledger["status"].to_list() == ["success", "success"]
    assert ledger["members_published"].to_list() == [3, 2]
    assert ledger.height == 2
    assert report.ledger_path == str(bronze / "_pointline" / "upstream_ledger")
    assert all(a.backend in ("py7zr", "cli") for a in report.archives)


def test_rerun_publishes_nothing_and_reports_all_skipped(tmp_path, src, plugins):
    bronze = tmp_path / "bronze"
    extract(src, bronze, plugins=plugins)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in bronze.rglob("*.gz")}
    again = extract(src, bronze, plugins=plugins)
    assert [a.status for a in again.archives] == ["skipped", "skipped"]
    assert again.archives_skipped == 2 and again.members_published == 0
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in bronze.rglob("*.gz")}
    assert after == before
    assert UpstreamLedger(ledger_path(bronze)).frame().height == 2


def test_corrupt_archive_fails_alone_then_replacement_publishes_only_its_members(
    tmp_path, src, plugins
):
    bronze = tmp_path / "bronze"
    good = src / fv.VENDOR / f"{DAY2}.7z"
    bad = src / fv.VENDOR / "bars_20240104.7z"
    fv.make_7z(bad, members("bars_20240104", "EEE FFF", rows=500))
    intact = bad.read_bytes()
    bad.write_bytes(intact[: len(intact) // 2])  # truncated download
    report = extract(src, bronze, plugins=plugins)
    by_name = {a.archive_name: a for a in report.archives}
    assert by_name["bars_20240104.7z"].status == "failed"
    assert "bars_20240104.7z" in by_name["bars_20240104.7z"].reason
    assert by_name[good.name].status == "success" and by_name[f"{DAY1}.7z"].status == "success"
    assert report.members_published == 5 and not report.ok
    assert not any("date=20240104" in f for f in bronze_files(bronze))
    # The vendor re-delivers the archive intact: only its members are published.
    bad.write_bytes(intact)
    rerun = extract(src, bronze, plugins=plugins)
    statuses = {a.archive_name: a.status for a in rerun.archives}
    assert statuses == {
        f"{DAY1}.7z": "skipped",
        f"{DAY2}.7z": "skipped",
        "bars_20240104.7z": "success",
    }
    assert rerun.members_published == 2
    assert sorted(f for f in bronze_files(bronze) if "20240104" in f) == [
        "date=20240104/EEE.csv.gz",
        "date=20240104/FFF.csv.gz",
    ]
    ledger = UpstreamLedger(ledger_path(bronze)).frame()
    rows = ledger.filter(pl.col("archive_name") == "bars_20240104.7z").sort("status")
    assert rows["status"].to_list() == ["failed", "success"]  # two keys: two sha256 values


def test_garbage_and_misnamed_files_fail_with_reason_and_run_goes_on(tmp_path, src, plugins):
    (src / fv.VENDOR / "bars_20240105.7z").write_bytes(b"not an archive at all")
    (src / fv.VENDOR / "notes.txt").write_text("hello")
    (src / fv.VENDOR / ".DS_Store").write_text("hidden files are skipped")
    report = extract(src, tmp_path / "bronze", plugins=plugins)
    reasons = {a.archive_name: (a.status, a.reason) for a in report.archives}
    assert reasons["notes.txt"][0] == "failed" and "does not match" in reasons["notes.txt"][1]
    assert reasons["bars_20240105.7z"][0] == "failed"
    assert ".DS_Store" not in reasons
    assert report.archives_succeeded == 2 and report.archives_failed == 2
    failed = (
        UpstreamLedger(ledger_path(tmp_path / "bronze"))
        .frame()
        .filter(pl.col("status") == "failed")
    )
    assert failed.height == 2 and failed["status_reason"].null_count() == 0


def test_member_problems_are_reported_not_fatal(tmp_path, plugins):
    src = tmp_path / "source"
    fv.make_7z(
        src / fv.VENDOR / f"{DAY1}.7z",
        {
            f"{DAY1}/AAA.csv": fv.member_bytes("AAA", 5),
            f"{DAY1}/EMPTY.csv": b"",
            f"{DAY1}/bad1.csv": b"x\n",
            f"{DAY1}/README.txt": b"read me",
        },
    )
    report = extract(src, tmp_path / "bronze", plugins=plugins)
    (a,) = report.archives
    assert a.status == "success"
    assert (a.members_total, a.members_published, a.members_rejected, a.members_ignored) == (
        4,
        2,
        1,
        1,
    )
    assert a.members_empty == 1
    issues = {i.member.split("/")[1]: (i.status, i.reason) for i in a.issues}
    assert issues["bad1.csv"][0] == "rejected" and "upper-case" in issues["bad1.csv"][1]
    assert issues["README.txt"][0] == "ignored"
    assert issues["EMPTY.csv"] == ("published", "empty member")
    assert bronze_files(tmp_path / "bronze")[f"date={DAY1[5:]}/EMPTY.csv.gz"] == b""


def test_published_files_are_never_rewritten(tmp_path, src, plugins):
    bronze = tmp_path / "bronze"
    target = bronze / fv.VENDOR / "date=20240102" / "AAA.csv.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(gzip.compress(b"already here"))
    report = extract(src, bronze, plugins=plugins)
    day1 = next(a for a in report.archives if a.archive_name == f"{DAY1}.7z")
    assert day1.status == "success" and day1.members_existing == 1
    assert gzip.decompress(target.read_bytes()) == b"already here"


def test_dry_run_writes_nothing_anywhere(tmp_path, src, plugins):
    bronze = tmp_path / "bronze"
    (src / fv.VENDOR / "bars_20240109.7z").write_bytes(b"garbage")
    report = extract(src, bronze, plugins=plugins, dry_run=True)
    assert not bronze.exists()
    statuses = {a.archive_name: a.status for a in report.archives}
    assert statuses == {
        f"{DAY1}.7z": "planned",
        f"{DAY2}.7z": "planned",
        "bars_20240109.7z": "failed",
    }
    assert report.members_published == 5 and report.dry_run
    # After a real run, a dry run plans nothing new.
    extract(src, bronze, plugins=plugins)
    listing = sorted(p for p in bronze.rglob("*"))
    again = extract(src, bronze, plugins=plugins, dry_run=True)
    assert again.archives_skipped == 2 and again.members_published == 0
    assert sorted(p for p in bronze.rglob("*")) == listing


def test_zip_archives_go_through_the_same_path(tmp_path, plugins):
    src = tmp_path / "source"
    fv.make_zip(src / fv.VENDOR / "bars_20240110.zip", members("bars_20240110", "ZZZ"))
    report = extract(src, tmp_path / "bronze", plugins=plugins)
    assert report.archives[0].status == "success" and report.archives[0].backend == "zipfile"
    assert list(bronze_files(tmp_path / "bronze")) == ["date=20240110/ZZZ.csv.gz"]


def _broken_plugins(mode: str):
    from pointline_core import hookimpl
    from pointline_core.models import MemberTarget
    from pointline_core.plugins import Plugins

    class Plugin:
        pointline_vendor_info = staticmethod(hookimpl(fv.pointline_vendor_info))
        pointline_table_mapping = staticmethod(hookimpl(fv.pointline_table_mapping))
        pointline_exchanges = staticmethod(hookimpl(fv.pointline_exchanges))
        pointline_recognize_archive = staticmethod(hookimpl(fv.pointline_recognize_archive))

        @staticmethod
        @hookimpl
        def pointline_member_path(archive, member):
            if mode == "raise":
                raise KeyError("bug in plugin")
            return MemberTarget("../escape.csv.gz")

    p = Plugins()
    p.register(Plugin())
    return p


@pytest.mark.parametrize("mode", ["raise", "unsafe"])
def test_plugin_bugs_fail_the_archive_and_are_retried(tmp_path, src, mode):
    bronze = tmp_path / "bronze"
    report = extract(src, bronze, plugins=_broken_plugins(mode))
    assert [a.status for a in report.archives] == ["failed", "failed"]
    assert "pointline_member_path" in report.archives[0].reason or "target path" in (
        report.archives[0].reason
    )
    assert not (tmp_path / "escape.csv.gz").exists()
    assert not (bronze / fv.VENDOR).exists() or not any((bronze / fv.VENDOR).rglob("*.gz"))
    # Fixed plugin: the failed archives are retried and publish.
    fixed = extract(src, bronze, plugins=fv.plugins())
    assert [a.status for a in fixed.archives] == ["success", "success"]


def test_lake_root_moves_the_ledger_and_unknown_folders_are_noted(tmp_path, src, plugins):
    (src / "nobody").mkdir()
    lake = tmp_path / "lake"
    report = extract(src, tmp_path / "bronze", plugins=plugins, lake_root=lake)
    assert report.ledger_path == str(lake / "control" / "upstream_ledger")
    assert UpstreamLedger(lake / "control" / "upstream_ledger").frame().height == 2
    assert not (tmp_path / "bronze" / "_pointline").exists()
    assert (lake / "_locks" / "upstream_ledger.lock").exists()
    assert any("nobody" in n for n in report.notes)
    with pytest.raises(UnknownVendorError):
        extract(src, tmp_path / "bronze", plugins=plugins, vendors=["nobody"])
    with pytest.raises(UpstreamError):
        extract(tmp_path / "missing", tmp_path / "bronze", plugins=plugins)


def test_public_api_is_the_runner():
    assert lazy_extract is extract


def test_cli_json_and_exit_code(tmp_path, src, plugins, monkeypatch, capsys):
    import pointline_core.plugins as plugins_mod
    from pointline_core.cli import build_parser

    build_parser()  # import every command module first: none may capture the patched loader
    monkeypatch.setattr(plugins_mod, "load_plugins", lambda *a, **k: fv.plugins())
    bronze = tmp_path / "bronze"
    assert cli_main(["extract", str(src), str(bronze), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["archives_succeeded"] == 2 and data["members_published"] == 5
    (src / fv.VENDOR / "bars_20240111.7z").write_bytes(b"junk")
    assert cli_main(["extract", str(src), str(bronze), "--vendor", fv.VENDOR]) == 1
    out = capsys.readouterr().out
    assert "skipped" in out and "failed" in out and "2 skipped, 1 failed" in out
    assert cli_main(["extract", str(src), str(bronze), "--dry-run"]) == 1
    assert "would publish 0 files" in capsys.readouterr().out


def test_hidden_and_temporary_names_in_source_are_skipped(tmp_path, src, plugins):
    partial = src / fv.VENDOR / ".bars_20240112.7z.part"
    partial.write_bytes(b"downloading")
    report = extract(src, tmp_path / "bronze", plugins=plugins)
    assert all(not a.archive.startswith(".") for a in report.archives)
    assert os.path.exists(partial)
