"""The runner end to end with a test-owned vendor on real Delta tables."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest

from pointline_core import ingest
from pointline_core.errors import UnknownVendorError
from pointline_core.ingest.runner import IngestOptions
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import ManifestStore
from tests.ingest.conftest import DAY, T0, add_symbols, open_symbols, silver, trades
from tests.ingest.fake_vendor import write_trades


def _tree(root):
    """Every file under root with its content hash: byte-for-byte lake comparison."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _versions(lake_root):
    from deltalake import DeltaTable

    return {
        p.name: DeltaTable(str(p)).version()
        for zone in ("silver", "quarantine", "control")
        for p in sorted((lake_root / zone).glob("*"))
        if (p / "_delta_log").exists()
    }


def test_ingest_rerun_force_and_accounting(bronze, lake_root, plugins):
    write_trades(bronze, "utcx", "BTCUSD", trades(50))
    write_trades(bronze, "cnx", "600000", trades(30, start=T0 + 3600_000_000))
    open_symbols(lake_root, ("utcx", "BTCUSD"), ("cnx", "600000"))

    report = ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert report.ok, report
    assert [f.status for f in report.files] == ["success", "success"]
    for f in report.files:
        assert f.rows_total == f.rows_written + f.rows_quarantined
    rows = silver(lake_root)
    assert rows.height == 80
    assert rows.select(pl.struct("file_id", "file_seq").n_unique()).item() == 80
    assert sorted(rows["file_seq"].filter(rows["symbol"] == "600000").to_list()) == list(range(30))
    assert rows["symbol_id"].null_count() == 0
    entries = {e.bronze_path: e for e in ManifestStore(Lake(lake_root)).entries()}
    assert {e.status for e in entries.values()} == {"success"}
    assert all(e.rows_total == e.rows_written + e.rows_quarantined for e in entries.values())

    before = _versions(lake_root)
    again = ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert [f.status for f in again.files] == ["skipped", "skipped"]
    assert "nothing new" in again.message and "nothing written" in again.message
    assert _versions(lake_root) == before, "a rerun with nothing new must not commit"

    forced = ingest(bronze, lake_root, plugins=plugins, force=True, progress=False)
    assert [f.status for f in forced.files] == ["success", "success"]
    after = silver(lake_root)
    assert after.height == 80
    assert after.select(pl.struct("file_id", "file_seq").n_unique()).item() == 80
    assert sorted(after["file_id"].unique()) == sorted(rows["file_id"].unique())


def test_dry_run_leaves_the_lake_untouched(bronze, lake_root, plugins):
    write_trades(bronze, "utcx", "BTCUSD", trades(20))
    report = ingest(bronze, lake_root, plugins=plugins, dry_run=True, progress=False)
    assert not lake_root.exists(), "a dry run must not create the lake, a lock or a log"
    assert report.dry_run and report.files[0].rows_total == 20

    open_symbols(lake_root, ("utcx", "BTCUSD"))
    snapshot = _tree(lake_root)
    report = ingest(bronze, lake_root, plugins=plugins, dry_run=True, progress=False)
    assert report.files[0].status == "success" and report.files[0].rows_written == 20
    assert _tree(lake_root) == snapshot
    ingest(bronze, lake_root, plugins=plugins, progress=False)
    write_trades(bronze, "utcx", "ETHUSD", trades(5))
    snapshot = _tree(lake_root)
    report = ingest(bronze, lake_root, plugins=plugins, dry_run=True, force=True, progress=False)
    assert {f.status for f in report.files} == {"success", "quarantined"}
    assert _tree(lake_root) == snapshot


def test_bad_files_fail_alone_with_specific_reasons(bronze, lake_root, plugins):
    write_trades(bronze, "utcx", "GOOD", trades(10))
    bad_header = bronze / "fakevendor" / "utcx" / "BADHDR.csv"
    bad_header.write_text("when,price\n1,2\n")
    write_trades(bronze, "utcx", "KABOOM", trades(10), suffix=".boom")
    write_trades(bronze, "nowhere", "XYZ", trades(3))
    (bronze / "fakevendor" / "README.txt").write_text("not data")
    (bronze / "othervendor").mkdir()  # no plugin owns it: reported, not silently skipped
    (bronze / "_pointline").mkdir()  # Pointline's own (upstream ledger): left alone
    open_symbols(lake_root, ("utcx", "GOOD"), ("utcx", "BADHDR"), ("utcx", "KABOOM"))

    report = ingest(bronze, lake_root, plugins=plugins, progress=False)
    by_path = {f.rel_path.split("/")[-1]: f for f in report.files}
    assert by_path["GOOD.csv"].status == "success"
    assert by_path["BADHDR.csv"].status == "failed"
    assert "parse_error" in by_path["BADHDR.csv"].reason
    assert (
        "'fakevendor'" in by_path["BADHDR.csv"].reason and "line 1" in by_path["BADHDR.csv"].reason
    )
    assert by_path["KABOOM.boom.csv"].status == "failed"
    assert "canonicalize_error" in by_path["KABOOM.boom.csv"].reason
    assert "canonicalize exploded" in by_path["KABOOM.boom.csv"].reason
    assert by_path["XYZ.csv"].status == "failed"
    assert by_path["XYZ.csv"].reason.startswith("unknown_exchange: nowhere")
    assert [u.rel_path for u in report.unrecognised] == ["fakevendor/README.txt", "othervendor/"]
    assert "no installed plugin owns" in report.unrecognised[1].reason
    assert not report.ok

    rows = silver(lake_root)
    assert set(rows["symbol"]) == {"GOOD"}
    failed_ids = {f.file_id for f in report.files if f.status == "failed"}
    assert not set(rows["file_id"]) & failed_ids
    entries = {e.file_id: e for e in ManifestStore(Lake(lake_root)).entries(status="failed")}
    assert set(entries) == failed_ids
    assert all(e.status_reason for e in entries.values())

    # Fixing a failed file and rerunning ingests it (failed is retried, good is skipped).
    bad_header.write_text("ts,price,qty,side,tid\n" + f"{T0},1,1,b,x\n")
    report = ingest(bronze, lake_root, plugins=plugins, progress=False)
    statuses = {f.rel_path.split("/")[-1]: f.status for f in report.files}
    assert statuses["GOOD.csv"] == "skipped" and statuses["BADHDR.csv"] == "success"


def test_bad_rows_are_quarantined_with_reasons_never_dropped(bronze, lake_root, plugins):
    rows = trades(6)
    rows[1] = (rows[1][0], "abc", "1", "b", "x1")  # non-numeric price
    rows[2] = (rows[2][0], "-5", "1", "b", "x2")  # negative price
    rows[3] = (rows[3][0], "1", "1", "z", "x3")  # side outside the allowed set
    rows[4] = (rows[4][0], "1", "123456789012345678901", "b", "x4")  # 21 digits: overflows
    write_trades(bronze, "utcx", "BTCUSD", rows)
    open_symbols(lake_root, ("utcx", "BTCUSD"))

    (result,) = ingest(bronze, lake_root, plugins=plugins, progress=False).files
    assert result.status == "quarantined"
    assert (result.rows_total, result.rows_written, result.rows_quarantined) == (6, 2, 4)
    assert result.quarantine_reasons == {
        "invalid_value:side": 1,
        "not_a_number:price": 1,
        "not_positive:price": 1,
        "overflow:qty": 1,
    }
    q = pl.read_delta(str(lake_root / "quarantine" / "trades")).sort("file_seq")
    assert q["file_seq"].to_list() == [1, 2, 3, 4]
    assert q["reason"].to_list() == [
        "not_a_number:price",
        "not_positive:price",
        "invalid_value:side",
        "overflow:qty",
    ]
    log = pl.read_delta(str(lake_root / "control" / "validation_log"))
    assert dict(zip(log["rule"], log["count"], strict=True)) == result.quarantine_reasons


def test_trading_date_is_the_exchange_local_day(bronze, lake_root, plugins):
    late_utc = 1_704_238_200_000_000  # 2024-01-02T23:30:00Z = 2024-01-03 07:30 in Shanghai
    last_us = 1_704_239_999_999_999  # 2024-01-02T23:59:59.999999Z
    write_trades(bronze, "cnx", "600000", [(late_utc, "10", "100", "b", "a")])
    write_trades(bronze, "utcx", "BTCUSD", [(last_us, "10", "1", "b", "a")])
    open_symbols(lake_root, ("cnx", "600000"), ("utcx", "BTCUSD"))
    ingest(bronze, lake_root, plugins=plugins, progress=False)
    got = dict(silver(lake_root).select("exchange", "trading_date").iter_rows())
    assert str(got["cnx"]) == "2024-01-03"
    assert str(got["utcx"]) == "2024-01-02"


def test_pit_boundary_event_goes_to_next_window_or_quarantine(bronze, lake_root, plugins):
    boundary = T0 + DAY
    write_trades(
        bronze, "utcx", "AAA", [(boundary - 1, "1", "1", "b", "a"), (boundary, "1", "1", "b", "b")]
    )
    write_trades(
        bronze, "utcx", "BBB", [(boundary - 1, "1", "1", "b", "a"), (boundary, "1", "1", "b", "b")]
    )
    add_symbols(
        lake_root,
        [
            ("utcx", "AAA", T0, boundary),
            ("utcx", "AAA", boundary, None, "0.5"),  # new tick size: a new window
            ("utcx", "BBB", T0, boundary),
        ],
    )
    report = ingest(bronze, lake_root, plugins=plugins, progress=False)
    rows = silver(lake_root).sort("symbol", "file_seq")
    aaa = rows.filter(pl.col("symbol") == "AAA")["symbol_id"].to_list()
    assert len(aaa) == 2 and aaa[0] != aaa[1]
    bbb = {f.rel_path.split("/")[-1]: f for f in report.files}["BBB.csv"]
    assert bbb.quarantine_reasons == {"symbol_not_covered": 1}
    q = pl.read_delta(str(lake_root / "quarantine" / "trades"))
    assert q["ts_event_us"].to_list() == [boundary]
    assert "BBB" in q["detail"][0]


def test_unknown_vendor_is_refused_before_anything_is_written(bronze, lake_root, plugins):
    with pytest.raises(UnknownVendorError, match="nosuchvendor"):
        ingest(bronze, lake_root, vendors=["nosuchvendor"], plugins=plugins, progress=False)
    assert not lake_root.exists()


def _content(lake_root):
    return silver(lake_root).sort("file_id", "file_seq")


def test_same_input_same_silver_whatever_batching(tmp_path, bronze, plugins):
    for i, sym in enumerate(["AAA", "BBB", "CCC", "DDD"]):
        write_trades(bronze, "utcx", sym, trades(40 + i, start=T0 + i))
    lakes = []
    for name, opts in [
        ("default", IngestOptions()),
        ("tiny", IngestOptions(batch_rows=7, unit_max_files=1)),
        ("stream", IngestOptions(batch_rows=5, stream_file_bytes=0)),
    ]:
        lake_root = tmp_path / name
        open_symbols(lake_root, *[("utcx", s) for s in ["AAA", "BBB", "CCC", "DDD"]])
        ingest(bronze, lake_root, plugins=plugins, progress=False, options=opts)
        lakes.append(_content(lake_root))
    assert lakes[0].height == 40 + 41 + 42 + 43
    for other in lakes[1:]:
        assert other.equals(lakes[0])


def test_plugin_rules_reject_and_warn_are_logged_per_file(bronze, lake_root, plugins):
    rows = trades(5, price="2000")
    rows[2] = (rows[2][0], "5", "1", "b", "reject-me")
    write_trades(bronze, "utcx", "AAA", rows)
    write_trades(bronze, "utcx", "BBB", trades(3, price="7"))
    open_symbols(lake_root, ("utcx", "AAA"), ("utcx", "BBB"))
    report = ingest(bronze, lake_root, plugins=plugins, progress=False)
    aaa, bbb = report.files
    assert (aaa.rows_written, aaa.rows_quarantined) == (4, 1)
    assert aaa.quarantine_reasons == {"test_trade": 1}
    assert (bbb.status, bbb.rows_written) == ("success", 3)
    log = pl.read_delta(str(lake_root / "control" / "validation_log")).sort("file_id", "rule")
    assert log.select("file_id", "rule", "severity", "count").rows() == [
        (aaa.file_id, "price_above_1000", "warn", 4),
        (aaa.file_id, "test_trade", "reject", 1),
    ]


def test_redelivered_file_replaces_its_old_rows(bronze, lake_root, plugins):
    path = write_trades(bronze, "utcx", "AAA", trades(10, price="1"))
    open_symbols(lake_root, ("utcx", "AAA"))
    (first,) = ingest(bronze, lake_root, plugins=plugins, progress=False).files
    write_trades(bronze, "utcx", "AAA", trades(7, price="2"))  # same path, new content
    (second,) = ingest(bronze, lake_root, plugins=plugins, progress=False).files
    assert second.status == "success" and second.file_id != first.file_id
    rows = silver(lake_root)
    assert rows.height == 7 and set(rows["file_id"]) == {second.file_id}
    entries = {e.file_id: e for e in ManifestStore(Lake(lake_root)).entries()}
    assert entries[first.file_id].status == "superseded"
    assert entries[first.file_id].rows_written == 10
    assert str(second.file_id) in entries[first.file_id].status_reason

    # A broken re-delivery leaves the good rows in place.
    path.write_text("garbage\n")
    (third,) = ingest(bronze, lake_root, plugins=plugins, progress=False).files
    assert third.status == "failed"
    assert silver(lake_root).height == 7


def test_streamed_file_failing_midway_leaves_no_rows(bronze, lake_root, plugins):
    write_trades(bronze, "utcx", "GOOD", trades(30))
    bad = write_trades(bronze, "utcx", "BAD", trades(40))
    lines = bad.read_text().splitlines()
    lines[35] = "explode,1,1,b,x"  # deep in the file, after several batches streamed
    bad.write_text("\n".join(lines) + "\n")
    open_symbols(lake_root, ("utcx", "GOOD"), ("utcx", "BAD"))
    opts = IngestOptions(batch_rows=5, stream_file_bytes=0)  # every file streams
    report = ingest(bronze, lake_root, plugins=plugins, progress=False, options=opts)
    by_name = {f.rel_path.split("/")[-1]: f for f in report.files}
    assert by_name["BAD.csv"].status == "failed" and by_name["GOOD.csv"].status == "success"
    assert "unreadable row" in by_name["BAD.csv"].reason and "'ts'" in by_name["BAD.csv"].reason
    rows = silver(lake_root)
    assert set(rows["symbol"]) == {"GOOD"} and rows.height == 30
    assert not (lake_root / "quarantine" / "trades").exists()
    from deltalake import DeltaTable

    table = lake_root / "silver" / "trades"
    live = {p.split("/")[-1] for p in DeltaTable(str(table)).file_uris()}
    on_disk = {p.name for p in table.rglob("*.parquet")}
    assert on_disk == live, "the aborted write left data files behind"


def test_rerun_skips_hashing_files_whose_size_and_mtime_are_unchanged(
    bronze, lake_root, plugins, monkeypatch
):
    import os

    from pointline_core.ingest import gate as gate_module

    hashed = []
    real_hash = gate_module.sha256_files

    def counting(paths, sizes, threads, on_done=None):
        hashed.extend(paths)
        return real_hash(paths, sizes, threads, on_done)

    monkeypatch.setattr(gate_module, "sha256_files", counting)
    a = write_trades(bronze, "utcx", "AAA", trades(5, price="1"))
    write_trades(bronze, "utcx", "BBB", trades(5))
    open_symbols(lake_root, ("utcx", "AAA"), ("utcx", "BBB"))
    ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert len(hashed) == 2

    hashed.clear()
    again = ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert hashed == [] and {f.status for f in again.files} == {"skipped"}

    # Touched, same content: hashed once, still skipped, and the new mtime is remembered.
    os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 5_000_000_000))
    again = ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert hashed == [a] and {f.status for f in again.files} == {"skipped"}
    hashed.clear()
    ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert hashed == []

    # The known limit: same size and mtime with other bytes is not noticed without rehash.
    stat = a.stat()
    a.write_text(a.read_text().replace(",1,", ",2,"))
    os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert a.stat().st_size == stat.st_size
    assert {f.status for f in ingest(bronze, lake_root, plugins=plugins).files} == {"skipped"}
    report = ingest(bronze, lake_root, plugins=plugins, progress=False, rehash=True)
    by_name = {f.rel_path.split("/")[-1]: f.status for f in report.files}
    assert by_name == {"AAA.csv": "success", "BBB.csv": "skipped"}
    prices = silver(lake_root).filter(pl.col("symbol") == "AAA")["price"].unique().to_list()
    assert prices == [2], "the new content replaced the old rows"


def test_retry_quarantined_after_importing_missing_symbols(bronze, lake_root, plugins):
    write_trades(bronze, "utcx", "AAA", trades(4))
    write_trades(bronze, "utcx", "BBB", trades(3))
    open_symbols(lake_root, ("utcx", "AAA"))  # BBB's symbols not imported yet
    first = {f.rel_path.split("/")[-1]: f for f in ingest(bronze, lake_root, plugins=plugins).files}
    assert first["BBB.csv"].status == "quarantined"
    assert first["BBB.csv"].quarantine_reasons == {"symbol_not_covered": 3}

    open_symbols(lake_root, ("utcx", "BBB"))
    plain = ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert {f.status for f in plain.files} == {"skipped"}, "done files stay done by default"

    retried = ingest(bronze, lake_root, plugins=plugins, progress=False, retry_quarantined=True)
    by_name = {f.rel_path.split("/")[-1]: f for f in retried.files}
    assert by_name["AAA.csv"].status == "skipped"
    assert (by_name["BBB.csv"].status, by_name["BBB.csv"].rows_written) == ("success", 3)
    assert by_name["BBB.csv"].file_id == first["BBB.csv"].file_id
    assert silver(lake_root).height == 7
    quarantine = pl.read_delta(str(lake_root / "quarantine" / "trades"))
    assert quarantine.height == 0, "the old quarantine rows were replaced, not kept"
