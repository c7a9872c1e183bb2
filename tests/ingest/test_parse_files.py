"""Small files through the optional ``pointline_parse_files``: one plugin call for a run of
files, the same rows as one ``pointline_parse`` per file, and any failure of the many-file path
falls back to the per-file hook (speed lost, never rows; a bad file fails alone)."""

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
    """The fake vendor plus ``many`` as its pointline_parse_files, calls recorded."""
    calls: list[list[str]] = []
    module = types.ModuleType("fake_vendor_parse_many")
    module.__dict__.update({k: v for k, v in vars(fake_vendor).items() if not k.startswith("__")})

    def parse_files(files, batch_rows):
        calls.append([f.rel_path for f in files])
        return many(files, batch_rows)

    module.pointline_parse_files = hookimpl(parse_files)
    plugins = Plugins()
    plugins.register(module, name=fake_vendor.VENDOR)
    return plugins, calls


def _per_file(files, batch_rows):
    return [list(fake_vendor.pointline_parse(f, batch_rows) or ()) for f in files]


def _lake(tmp_path, name, plugins, **kwargs):
    lake = tmp_path / name
    open_symbols(lake, *SYMBOLS)
    report = ingest(tmp_path / "bronze", lake, plugins=plugins, progress=False, **kwargs)
    return lake, report


def _rows(lake, zone="silver") -> pl.DataFrame:
    if zone == "silver":
        return silver(lake, "trades").sort("file_id", "file_seq")
    return pl.read_delta(str(lake / "quarantine" / "trades")).sort("file_id", "file_seq")


def test_a_run_of_small_files_is_one_call_with_the_same_rows(bronze, tmp_path, plugins):
    _bronze(bronze)
    baseline, _ = _lake(tmp_path, "per-file", plugins)
    many, calls = _plugins(_per_file)
    lake, report = _lake(tmp_path, "many", many, options=IngestOptions(batch_rows=4))
    assert report.ok
    assert len(calls) == 1 and len(calls[0]) == len(SYMBOLS)  # every file in one call
    assert _rows(lake).equals(_rows(baseline))  # file_seq too: batches of 4 rows numbered
    assert _rows(lake, "quarantine").equals(_rows(baseline, "quarantine"))
    assert _rows(lake, "quarantine")["reason"].to_list() == ["not_a_number:price"]


def test_calls_are_bounded_by_files_and_bytes(bronze, tmp_path):
    _bronze(bronze)
    many, calls = _plugins(_per_file)
    _, report = _lake(tmp_path, "files", many, options=IngestOptions(parse_files=5))
    assert report.ok and [len(c) for c in calls] == [5, 5, 5, 3]
    calls.clear()
    _, report = _lake(tmp_path, "bytes", many, options=IngestOptions(parse_files_bytes=1))
    # one file per run (a run always takes its first file): a single file is parsed alone
    assert report.ok and calls == []


def test_a_wrong_answer_falls_back_to_the_per_file_hook(bronze, tmp_path, plugins):
    _bronze(bronze)
    baseline, _ = _lake(tmp_path, "per-file", plugins)
    for n, wrong in enumerate(
        [
            lambda files, batch_rows: _per_file(files, batch_rows)[1:],  # one file short
            lambda files, batch_rows: [["not a frame"] for _ in files],
            lambda files, batch_rows: None,  # declined
        ]
    ):
        many, calls = _plugins(wrong)
        lake, report = _lake(tmp_path, f"wrong{n}", many)
        assert calls and report.ok
        assert _rows(lake).equals(_rows(baseline))


def test_a_bad_file_fails_alone_with_its_own_reason_when_the_call_raises(bronze, tmp_path):
    _bronze(bronze)
    rows = trades(4)
    rows[1] = ("explode", *rows[1][1:])
    fake_vendor.write_trades(bronze, "utcx", "ZZ", rows)
    open_symbols(tmp_path / "many", ("utcx", "ZZ"))
    many, calls = _plugins(_per_file)  # raises: the per-file parse of ZZ raises inside
    lake, report = _lake(tmp_path, "many", many)
    assert calls
    failed = {r.rel_path: r.reason for r in report.files if r.status == "failed"}
    assert list(failed) == ["fakevendor/utcx/ZZ.csv"]
    assert "unreadable row" in failed["fakevendor/utcx/ZZ.csv"]
    assert _rows(lake).height == sum(5 + n for n in range(len(SYMBOLS))) - 1
