"""Small files through the optional ``pointline_parse_files``: one plugin call for a run of
files, the same rows as one ``pointline_parse`` per file, and any failure of the many-file path
falls back to the per-file hook (speed lost, never rows; a bad file fails alone)."""

from __future__ import annotations

from pointline_core.ingest.work import IngestOptions
from tests.ingest import fake_vendor
from tests.ingest.conftest import open_symbols, trades
from tests.ingest.many_files import (
    SILVER_ROWS,
    SYMBOLS,
    ingest_lake,
    rows,
    with_hook,
    write_bronze,
)


def _plugins(impl):
    return with_hook("pointline_parse_files", impl)


def _per_file(files, batch_rows):
    return [list(fake_vendor.pointline_parse(f, batch_rows) or ()) for f in files]


def test_a_run_of_small_files_is_one_call_with_the_samerows(bronze, tmp_path, plugins):
    write_bronze(bronze)
    baseline, _ = ingest_lake(tmp_path, "per-file", plugins)
    many, calls = _plugins(_per_file)
    lake, report = ingest_lake(tmp_path, "many", many, options=IngestOptions(batch_rows=4))
    assert report.ok
    assert len(calls) == 1 and len(calls[0]) == len(SYMBOLS)  # every file in one call
    assert rows(lake).equals(rows(baseline))  # file_seq too: batches of 4 rows numbered
    assert rows(lake, "quarantine").equals(rows(baseline, "quarantine"))
    assert rows(lake, "quarantine")["reason"].to_list() == ["not_a_number:price"]


def test_calls_are_bounded_by_files_and_bytes(bronze, tmp_path):
    write_bronze(bronze)
    many, calls = _plugins(_per_file)
    _, report = ingest_lake(tmp_path, "files", many, options=IngestOptions(parse_files=5))
    assert report.ok and [len(c) for c in calls] == [5, 5, 5, 3]
    calls.clear()
    _, report = ingest_lake(tmp_path, "bytes", many, options=IngestOptions(parse_files_bytes=1))
    # one file per run (a run always takes its first file): a single file is parsed alone
    assert report.ok and calls == []


def test_a_wrong_answer_falls_back_to_the_per_file_hook(bronze, tmp_path, plugins):
    write_bronze(bronze)
    baseline, _ = ingest_lake(tmp_path, "per-file", plugins)
    for n, wrong in enumerate(
        [
            lambda files, batch_rows: _per_file(files, batch_rows)[1:],  # one file short
            lambda files, batch_rows: [["not a frame"] for _ in files],
            lambda files, batch_rows: None,  # declined
        ]
    ):
        many, calls = _plugins(wrong)
        lake, report = ingest_lake(tmp_path, f"wrong{n}", many)
        assert calls and report.ok
        assert rows(lake).equals(rows(baseline))


def test_a_bad_file_fails_alone_with_its_own_reason_when_the_call_raises(bronze, tmp_path):
    write_bronze(bronze)
    bad = trades(4)
    bad[1] = ("explode", *bad[1][1:])
    fake_vendor.write_trades(bronze, "utcx", "ZZ", bad)
    open_symbols(tmp_path / "many", ("utcx", "ZZ"))
    many, calls = _plugins(_per_file)  # raises: the per-file parse of ZZ raises inside
    lake, report = ingest_lake(tmp_path, "many", many)
    assert calls
    failed = {r.rel_path: r.reason for r in report.files if r.status == "failed"}
    assert list(failed) == ["fakevendor/utcx/ZZ.csv"]
    assert "unreadable row" in failed["fakevendor/utcx/ZZ.csv"]
    assert rows(lake).height == SILVER_ROWS
