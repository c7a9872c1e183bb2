"""Small files through the optional ``pointline_canonicalize_files``: one plugin call for a run
of files, the same rows as one call per batch, and any failure of the many-file path falls back
to the per-batch hook (speed lost, never rows)."""

from __future__ import annotations

import polars as pl

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
    return with_hook("pointline_canonicalize_files", impl)


def _per_batch(files, table, frames):
    return pl.concat(
        [
            fake_vendor.pointline_canonicalize(f, table, x)
            for f, x in zip(files, frames, strict=True)
        ]
    )


def test_a_run_of_small_files_is_one_call_with_the_samerows(bronze, tmp_path, plugins):
    write_bronze(bronze)
    baseline, _ = ingest_lake(tmp_path, "per-batch", plugins)
    many, calls = _plugins(_per_batch)
    lake, report = ingest_lake(tmp_path, "many", many)
    assert report.ok
    assert len(calls) == 1 and len(calls[0]) == len(SYMBOLS)  # every file in one call
    assert rows(lake).equals(rows(baseline))
    assert rows(lake).height == SILVER_ROWS
    assert rows(lake, "quarantine").equals(rows(baseline, "quarantine"))
    assert rows(lake, "quarantine")["reason"].to_list() == ["not_a_number:price"]


def test_calls_are_bounded_by_canonicalizerows(bronze, tmp_path):
    write_bronze(bronze)
    many, calls = _plugins(_per_batch)
    _, report = ingest_lake(tmp_path, "many", many, options=IngestOptions(canonicalize_rows=40))
    assert report.ok
    assert len(calls) > 3
    # a call closes once it reaches the bound, so it holds at most the bound plus one file
    sizes = {r.rel_path: r.rows_total for r in report.files}
    assert all(sum(sizes[p] for p in call[:-1]) < 40 for call in calls)
    called = [p for call in calls for p in call]
    assert len(called) == len(set(called))  # each file canonicalized once
    # a run of a single batch takes the per-batch hook directly (nothing to gain)
    assert len(sizes) - len(called) <= 1


def test_a_result_that_breaks_the_contract_falls_back_to_the_per_batch_hook(
    bronze, tmp_path, plugins
):
    write_bronze(bronze)
    baseline, _ = ingest_lake(tmp_path, "per-batch", plugins)
    many, calls = _plugins(lambda files, table, frames: _per_batch(files, table, frames)[1:])
    lake, report = ingest_lake(tmp_path, "many", many)
    assert calls and report.ok
    assert rows(lake).equals(rows(baseline))  # no row lost to the one-row-short answer


def test_a_doomed_file_fails_alone_when_the_many_file_call_raises(bronze, tmp_path):
    write_bronze(bronze)
    fake_vendor.write_trades(bronze, "utcx", "ZZ", trades(4), suffix=".boom")
    open_symbols(tmp_path / "many", ("utcx", "ZZ"))
    many, calls = _plugins(_per_batch)  # raises for the .boom. file among the others
    lake, report = ingest_lake(tmp_path, "many", many)
    assert calls
    failed = {r.rel_path: r.reason for r in report.files if r.status == "failed"}
    assert list(failed) == ["fakevendor/utcx/ZZ.boom.csv"]
    assert "canonicalize exploded" in failed["fakevendor/utcx/ZZ.boom.csv"]
    assert rows(lake).height == SILVER_ROWS


def test_declining_with_none_is_the_per_batch_path(bronze, tmp_path, plugins):
    write_bronze(bronze)
    baseline, _ = ingest_lake(tmp_path, "per-batch", plugins)
    many, calls = _plugins(lambda files, table, frames: None)
    lake, report = ingest_lake(tmp_path, "many", many)
    assert len(calls) == 1 and report.ok
    assert rows(lake).equals(rows(baseline))


def test_empty_files_alone_make_no_call(bronze, tmp_path):
    for symbol in ("E1", "E2", "E3"):
        path = bronze / fake_vendor.VENDOR / "utcx" / f"{symbol}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    many, calls = _plugins(_per_batch)
    _, report = ingest_lake(tmp_path, "many", many)
    assert calls == [] and report.ok
    assert [r.rows_total for r in report.files] == [0, 0, 0]
