"""Small files through the optional ``pointline_canonicalize_files``: one plugin call for a run
of files, the same rows as one call per batch, and any failure of the many-file path falls back
to the per-batch hook (speed lost, never rows)."""

from __future__ import annotations

import types

import polars as pl

from pointline_core import hookimpl, ingest
from pointline_core.ingest.work import IngestOptions
from pointline_core.plugins import Plugins
from tests.ingest import fake_vendor
from tests.ingest.conftest import open_symbols, silver, trades

SYMBOLS = [("utcx", f"S{i:02d}") for i in range(12)] + [("cnx", f"C{i:02d}") for i in range(6)]


def _bronze(bronze):
    for n, (exchange, symbol) in enumerate(SYMBOLS):
        rows = trades(5 + n)
        if n == 3:
            rows[2] = (rows[2][0], "not-a-price", *rows[2][2:])  # one quarantined row
        fake_vendor.write_trades(bronze, exchange, symbol, rows)


def _plugins(many) -> tuple[Plugins, list[list[str]]]:
    """The fake vendor plus ``many`` as its pointline_canonicalize_files, calls recorded."""
    calls: list[list[str]] = []
    module = types.ModuleType("fake_vendor_many")
    module.__dict__.update({k: v for k, v in vars(fake_vendor).items() if not k.startswith("__")})

    def canonicalize_files(files, table, frames):
        calls.append([f.rel_path for f in files])
        return many(files, table, frames)

    module.pointline_canonicalize_files = hookimpl(canonicalize_files)
    plugins = Plugins()
    plugins.register(module, name=fake_vendor.VENDOR)
    return plugins, calls


def _per_batch(files, table, frames):
    return pl.concat(
        [
            fake_vendor.pointline_canonicalize(f, table, x)
            for f, x in zip(files, frames, strict=True)
        ]
    )


def _lake(tmp_path, name, plugins, **kwargs):
    lake = tmp_path / name
    open_symbols(lake, *SYMBOLS)
    report = ingest(tmp_path / "bronze", lake, plugins=plugins, progress=False, **kwargs)
    return lake, report


def _rows(lake, table="trades") -> pl.DataFrame:
    return silver(lake, table).sort("file_id", "file_seq")


def _quarantine(lake) -> pl.DataFrame:
    return pl.read_delta(str(lake / "quarantine" / "trades")).sort("file_id", "file_seq")


def test_a_run_of_small_files_is_one_call_with_the_same_rows(bronze, tmp_path, plugins):
    _bronze(bronze)
    baseline, _ = _lake(tmp_path, "per-batch", plugins)
    many, calls = _plugins(_per_batch)
    lake, report = _lake(tmp_path, "many", many)
    assert report.ok
    assert len(calls) == 1 and len(calls[0]) == len(SYMBOLS)  # every file in one call
    assert _rows(lake).equals(_rows(baseline))
    assert _rows(lake).height == sum(5 + n for n in range(len(SYMBOLS))) - 1
    assert _quarantine(lake).equals(_quarantine(baseline))
    assert _quarantine(lake)["reason"].to_list() == ["not_a_number:price"]


def test_calls_are_bounded_by_canonicalize_rows(bronze, tmp_path):
    _bronze(bronze)
    many, calls = _plugins(_per_batch)
    _, report = _lake(tmp_path, "many", many, options=IngestOptions(canonicalize_rows=40))
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
    _bronze(bronze)
    baseline, _ = _lake(tmp_path, "per-batch", plugins)
    many, calls = _plugins(lambda files, table, frames: _per_batch(files, table, frames)[1:])
    lake, report = _lake(tmp_path, "many", many)
    assert calls and report.ok
    assert _rows(lake).equals(_rows(baseline))  # no row lost to the one-row-short answer


def test_a_doomed_file_fails_alone_when_the_many_file_call_raises(bronze, tmp_path):
    _bronze(bronze)
    fake_vendor.write_trades(bronze, "utcx", "ZZ", trades(4), suffix=".boom")
    open_symbols(tmp_path / "many", ("utcx", "ZZ"))
    many, calls = _plugins(_per_batch)  # raises for the .boom. file among the others
    lake, report = _lake(tmp_path, "many", many)
    assert calls
    failed = {r.rel_path: r.reason for r in report.files if r.status == "failed"}
    assert list(failed) == ["fakevendor/utcx/ZZ.boom.csv"]
    assert "canonicalize exploded" in failed["fakevendor/utcx/ZZ.boom.csv"]
    assert _rows(lake).height == sum(5 + n for n in range(len(SYMBOLS))) - 1


def test_declining_with_none_is_the_per_batch_path(bronze, tmp_path, plugins):
    _bronze(bronze)
    baseline, _ = _lake(tmp_path, "per-batch", plugins)
    many, calls = _plugins(lambda files, table, frames: None)
    lake, report = _lake(tmp_path, "many", many)
    assert len(calls) == 1 and report.ok
    assert _rows(lake).equals(_rows(baseline))


def test_empty_files_alone_make_no_call(bronze, tmp_path):
    for symbol in ("E1", "E2", "E3"):
        path = bronze / fake_vendor.VENDOR / "utcx" / f"{symbol}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    many, calls = _plugins(_per_batch)
    _, report = _lake(tmp_path, "many", many)
    assert calls == [] and report.ok
    assert [r.rows_total for r in report.files] == [0, 0, 0]
