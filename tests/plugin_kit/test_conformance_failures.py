"""The conformance suite fails, naming the plugin and saying what to fix, for broken plugins.

Each broken plugin is the generated template plugin with exactly one hook replaced; the
suite's test methods are called as pytest would call them. The same method passes for the
unbroken plugin, so each failure is caused by the one defect.
"""

from __future__ import annotations

import inspect
import time

import attrs
import polars as pl
import pytest

from pointline_core.models import ExchangeInfo, Unrecognised, VendorInfo
from pointline_core.testing import ConformanceFailure, Sample, checks

CANONICALIZE = "test_canonicalize_returns_exactly_the_table_columns_and_dtypes"
STREAMS = "test_parse_does_not_materialise_the_whole_file"
BATCHES = "test_parse_yields_bounded_batches_in_file_order"
TIMEZONES = "test_every_exchange_has_an_iana_timezone"
TABLES = "test_every_data_type_maps_to_an_existing_table"
TABLE = "barsco_bars_1m"


def failure(suite, method: str, *args) -> str:
    """Run one suite method; return its failure message (the test fails if it passes)."""
    with pytest.raises(AssertionError) as info:
        getattr(suite, method)(*args)
    message = str(info.value)
    assert message.startswith("plugin 'barsco': "), message
    assert "\nHow to fix: " in message, message
    return message


def test_the_generated_plugin_passes_every_check(suite_for, hooks, tmp_path):
    suite = suite_for(hooks)
    names = [n for n in sorted(dir(suite)) if n.startswith("test_")]
    assert len(names) == 16
    for name in names:
        if name == "test_entry_point_and_api_version":
            continue  # not installed here: see test_template_wheel.py
        method = getattr(suite, name)
        args = [tmp_path / name] if "tmp_path" in inspect.signature(method).parameters else []
        method(*args)


# --- the five defects the issue names -----------------------------------------------------------


def test_canonicalize_with_an_extra_column_fails(suite_for, variant, hooks):
    def canonicalize(file, table, frame):
        return hooks.pointline_canonicalize(file, table, frame).with_columns(vwap=pl.lit(1.0))

    message = failure(suite_for(variant(pointline_canonicalize=canonicalize)), CANONICALIZE)
    assert "canonicalize for table 'barsco_bars_1m': unexpected ['vwap']" in message
    assert "How to fix: drop ['vwap']" in message
    suite_for(hooks).test_canonicalize_returns_exactly_the_table_columns_and_dtypes()


def test_canonicalize_with_a_wrong_dtype_fails(suite_for, variant, hooks):
    def canonicalize(file, table, frame):
        out = hooks.pointline_canonicalize(file, table, frame)
        return out.with_columns(pl.col("volume").cast(pl.Float64))

    message = failure(suite_for(variant(pointline_canonicalize=canonicalize)), CANONICALIZE)
    assert "wrong dtype ['volume: Float64 (spec Decimal(38,18))']" in message
    assert "How to fix: cast volume to Decimal(38,18)" in message


def test_canonicalize_still_emitting_int64_fixed_point_fails_naming_the_change(
    suite_for, variant, hooks
):
    # a plugin written for API 1.x built the scaled integers itself
    def canonicalize(file, table, frame):
        out = hooks.pointline_canonicalize(file, table, frame)
        return out.with_columns(
            pl.col("volume", "close").mul(10**8).cast(pl.Int64)  # old scales, any
        )

    message = failure(suite_for(variant(pointline_canonicalize=canonicalize)), CANONICALIZE)
    assert "close: Int64 (spec Decimal(38,18))" in message
    assert "volume: Int64 (spec Decimal(38,18))" in message
    assert "['close', 'volume'] are Int64 fixed point (plugin API 1.x)" in message
    assert "pointline_core.fixedpoint.encode(text, spec.column(name).scale)" in message
    assert "gives Decimal(38, scale)" in message


def test_parse_that_materialises_the_whole_file_fails(suite_for, variant, hooks):
    def parse(file, batch_rows):
        # Correct batches, but only after reading and parsing every row of the file.
        yield from pl.read_csv(file.path, infer_schema=False).iter_slices(batch_rows)

    broken = suite_for(variant(pointline_parse=parse))
    broken.test_parse_yields_bounded_batches_in_file_order()  # batch sizes alone look fine
    message = failure(broken, STREAMS)
    assert "pointline_parse materialises the whole file" in message
    assert "whose only unreadable line is the last one" in message
    assert "before yielding a single row" in message
    assert "collect_batches(chunk_size=batch_rows)" in message
    suite_for(hooks).test_parse_does_not_materialise_the_whole_file()


def test_materialising_parse_that_accepts_bad_bytes_fails_on_timing(suite_for, variant):
    def parse(file, batch_rows):
        frame = pl.read_csv(file.path, infer_schema=False, encoding="utf8-lossy")
        yield from frame.iter_slices(batch_rows)

    message = failure(suite_for(variant(pointline_parse=parse)), STREAMS)
    assert "materialises the whole file" in message
    assert "the first batch came only after" in message and "timed" in message


def test_parse_in_one_batch_fails(suite_for, variant):
    def parse(file, batch_rows):
        yield pl.read_csv(file.path, infer_schema=False)

    message = failure(suite_for(variant(pointline_parse=parse)), BATCHES)
    assert "yields 1 batch(es)" in message and "batch_rows=10" in message


def test_exchange_with_an_invalid_timezone_fails(suite_for, variant, hooks):
    def exchanges():
        return [ExchangeInfo("xdemo", "America/NewYork", "equity")]

    message = failure(suite_for(variant(pointline_exchanges=exchanges)), TIMEZONES)
    assert "exchange 'xdemo' has timezone 'America/NewYork'" in message
    assert "did you mean 'America/New_York'" in message
    assert "IANA timezone" in message
    suite_for(hooks).test_every_exchange_has_an_iana_timezone()


def test_data_type_mapped_to_an_unknown_table_fails(suite_for, variant, hooks):
    def mapping():
        return {"bars_1m": "barsco_bars_1min"}

    broken = suite_for(variant(pointline_table_mapping=mapping))
    message = failure(broken, TABLES)
    assert "data type 'bars_1m' maps to unknown table 'barsco_bars_1min'" in message
    assert "did you mean 'barsco_bars_1m'" in message
    assert "contribute the table from pointline_tables" in message
    # Checks that need the plugin loaded name the failed prerequisite instead of running.
    message = failure(broken, CANONICALIZE)
    assert f"prerequisite {TABLES} failed, so {CANONICALIZE} did not run" in message
    assert f"How to fix: fix {TABLES} first" in message
    suite_for(hooks).test_every_data_type_maps_to_an_existing_table()


# --- more defects, one per check ------------------------------------------------------------------


def test_mapping_to_a_control_table_fails(suite_for, variant):
    message = failure(
        suite_for(variant(pointline_table_mapping=lambda: {"bars_1m": "ingest_manifest"})), TABLES
    )
    assert "maps to control table 'ingest_manifest'" in message


def test_undecorated_hook_fails(suite_for, variant, hooks):
    def parse(file, batch_rows):  # the same parse, but without @hookimpl
        return hooks.pointline_parse(file=file, batch_rows=batch_rows)

    plugin = variant()
    plugin.pointline_parse = parse
    message = failure(suite_for(plugin), "test_hook_implementations_match_the_hookspecs")
    assert "defines ['pointline_parse'] without @hookimpl" in message


def test_hook_with_an_unknown_argument_fails(suite_for, variant):
    def parse(file, batch_size):
        return iter(())

    message = failure(
        suite_for(variant(pointline_parse=parse)), "test_hook_implementations_match_the_hookspecs"
    )
    assert "does not match its hookspec" in message and "batch_size" in message
    assert "pointline_parse(file: 'BronzeFile', batch_rows: 'int')" in message


def test_misspelt_hook_fails(suite_for, variant):
    message = failure(
        suite_for(variant(pointline_parze=lambda file, batch_rows: iter(()))),
        "test_hook_implementations_match_the_hookspecs",
    )
    assert "implements a hook that does not exist" in message and "pointline_parze" in message


def test_missing_required_hook_fails(suite_for, variant):
    message = failure(
        suite_for(variant(pointline_canonicalize=None)),
        "test_hook_implementations_match_the_hookspecs",
    )
    assert "does not implement the required hooks ['pointline_canonicalize']" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "other"}, "VendorInfo.name is 'other'"),
        ({"description": ""}, "VendorInfo.description is ''"),
        ({"data_types": ()}, "VendorInfo.data_types is ()"),
        ({"api_version": "3.0"}, "was built for plugin API 3.0"),
        ({"api_version": "2.99"}, "newer than this core's"),
        ({"api_version": "latest"}, "not 'MAJOR.MINOR'"),
    ],
)
def test_incomplete_vendor_info_fails(suite_for, variant, hooks, change, expected):
    info = attrs.evolve(hooks.pointline_vendor_info(), **change)
    message = failure(
        suite_for(variant(pointline_vendor_info=lambda: info)), "test_vendor_info_is_complete"
    )
    assert expected in message
    assert isinstance(info, VendorInfo)


def test_discover_that_ignores_unknown_files_fails(suite_for, variant, hooks):
    def discover(vendor_root, bronze_root):
        return [
            f
            for f in hooks.pointline_discover(vendor_root=vendor_root, bronze_root=bronze_root)
            if not hasattr(f, "reason")
        ]

    message = failure(
        suite_for(variant(pointline_discover=discover)),
        "test_discover_finds_the_samples_and_nothing_else",
    )
    assert "ignores barsco/conformance-stray-file.not-vendor-data silently" in message
    assert "yield Unrecognised" in message


def test_discover_that_lists_a_file_twice_under_one_data_type_fails(suite_for, variant, hooks):
    # A file may be listed once per data type (pointline-databento's mbo file is order
    # events and executions); the same (file, data type) twice would land its rows twice.
    def twice(vendor_root, bronze_root):
        for f in hooks.pointline_discover(vendor_root=vendor_root, bronze_root=bronze_root):
            yield f
            if not hasattr(f, "reason"):
                yield f

    message = failure(
        suite_for(variant(pointline_discover=twice)),
        "test_discover_finds_the_samples_and_nothing_else",
    )
    assert "yielded barsco/" in message and "twice as 'bars_1m'" in message
    assert "once per data type" in message


def test_discover_that_misses_a_sample_fails(suite_for, variant, hooks):
    def only_unrecognised(vendor_root, bronze_root):
        for f in hooks.pointline_discover(vendor_root=vendor_root, bronze_root=bronze_root):
            yield Unrecognised("barsco", f.rel_path, "not today")

    message = failure(
        suite_for(variant(pointline_discover=only_unrecognised)),
        "test_discover_finds_the_samples_and_nothing_else",
    )
    assert "does not find the samples" in message and "Unrecognised: not today" in message


def test_nondeterministic_canonicalize_fails(suite_for, variant, hooks):
    def canonicalize(file, table, frame):
        out = hooks.pointline_canonicalize(file, table, frame)
        return out.with_columns(ts_local_us=pl.lit(time.perf_counter_ns(), pl.Int64))

    message = failure(suite_for(variant(pointline_canonicalize=canonicalize)), CANONICALIZE)
    assert "returns different frames for the same batch" in message


def test_missing_symbols_fail_the_ingest_check_with_a_hint(suite_for, hooks):
    message = failure(suite_for(hooks, symbols=None), "test_ingest_lands_the_expected_rows")
    assert "quarantined 30" in message and "symbol_not_covered" in message
    assert "give the test symbols" in message


def test_wrong_expected_counts_fail(suite_for, hooks, generated):
    sample = generated / "tests" / "samples" / "bronze" / "barsco" / "xdemo" / "2024-01-02"
    suite = suite_for(hooks, samples=[Sample(sample / "DEMO.csv", "bars_1m", {TABLE: 31})])
    message = failure(suite, "test_ingest_lands_the_expected_rows")
    assert "landed 30 rows in 'barsco_bars_1m'" in message and "expected 31" in message


def test_parse_that_accepts_a_corrupted_file_fails(suite_for, variant, tmp_path):
    def parse(file, batch_rows):
        frames = pl.scan_csv(file.path, infer_schema=False, encoding="utf8-lossy")
        yield from frames.collect_batches(chunk_size=batch_rows)

    message = failure(
        suite_for(variant(pointline_parse=parse)),
        "test_corrupted_sample_fails_naming_the_plugin",
        tmp_path,
    )
    assert "was accepted" in message and "raise pointline_core.errors.ParseError" in message


def test_bare_exception_on_a_corrupted_file_fails(suite_for, variant, hooks, tmp_path):
    def parse(file, batch_rows):
        yield from pl.scan_csv(file.path, infer_schema=False).collect_batches(chunk_size=batch_rows)

    message = failure(
        suite_for(variant(pointline_parse=parse)),
        "test_corrupted_sample_fails_naming_the_plugin",
        tmp_path,
    )
    assert "unexpected exception" in message and "plugin 'barsco' raised ComputeError" in message
    suite_for(hooks).test_corrupted_sample_fails_naming_the_plugin(tmp_path / "good")


def test_canonicalize_depending_on_batch_boundaries_fails(suite_for, variant, hooks, tmp_path):
    def canonicalize(file, table, frame):
        out = hooks.pointline_canonicalize(file, table, frame)
        # "first row of the batch" is not a property of the row: it moves with batch_rows.
        first = pl.int_range(pl.len()) == 0
        return out.with_columns(trade_count=pl.when(first).then(0).otherwise("trade_count"))

    message = failure(
        suite_for(variant(pointline_canonicalize=canonicalize)),
        "test_ingest_is_deterministic",
        tmp_path,
    )
    assert "silver table 'barsco_bars_1m' differs between two ingests" in message


def test_check_functions_work_without_the_test_class(hooks):
    checks.check_hook_implementations(hooks, "barsco")
    assert checks.check_vendor_info(hooks, "barsco").name == "barsco"
    assert checks.check_table_mapping(hooks, "barsco") == {"bars_1m": "barsco_bars_1m"}
    assert [e.timezone for e in checks.check_exchanges(hooks, "barsco")] == ["America/New_York"]
    with pytest.raises(ConformanceFailure, match="registered as 'other'"):
        checks.check_vendor_info(hooks, "other")


def test_discover_that_changes_between_runs_fails_the_rerun_check(suite_for, variant, hooks):
    runs = {"ingested": False}
    info = attrs.evolve(hooks.pointline_vendor_info(), data_types=("bars_1m", "bars_1m_b"))

    def discover(vendor_root, bronze_root):
        # a new identity once the first ingest is done
        data_type = "bars_1m_b" if runs["ingested"] else "bars_1m"
        for f in hooks.pointline_discover(vendor_root=vendor_root, bronze_root=bronze_root):
            yield attrs.evolve(f, data_type=data_type) if hasattr(f, "data_type") else f

    plugin = variant(
        pointline_vendor_info=lambda: info,
        pointline_table_mapping=lambda: {"bars_1m": TABLE, "bars_1m_b": TABLE},
        pointline_discover=discover,
    )
    suite = suite_for(plugin)
    suite.test_ingest_lands_the_expected_rows()
    runs["ingested"] = True
    message = failure(suite, "test_rerun_writes_nothing", suite.bronze_root().parent / "rerun")
    assert "a rerun over the same Bronze files did work" in message
    assert "discover must report the same rel_path and data_type" in message


# --- the optional many-file canonicalize ----------------------------------------------------------

CANONICALIZE_FILES = "test_canonicalize_files_equals_canonicalize_per_batch"


def test_canonicalize_files_that_equals_the_per_batch_hook_passes(suite_for, variant, hooks):
    def canonicalize_files(files, table, frames):
        parts = [
            hooks.pointline_canonicalize(f, table, x) for f, x in zip(files, frames, strict=True)
        ]
        return pl.concat(parts)

    getattr(
        suite_for(variant(pointline_canonicalize_files=canonicalize_files)), CANONICALIZE_FILES
    )()


def test_canonicalize_files_declining_with_none_passes(suite_for, variant):
    suite = suite_for(variant(pointline_canonicalize_files=lambda files, table, frames: None))
    getattr(suite, CANONICALIZE_FILES)()


def test_canonicalize_files_out_of_order_fails(suite_for, variant, hooks):
    def canonicalize_files(files, table, frames):
        parts = [
            hooks.pointline_canonicalize(f, table, x) for f, x in zip(files, frames, strict=True)
        ]
        return pl.concat(parts[::-1])  # the batches' rows, in the wrong order

    message = failure(
        suite_for(variant(pointline_canonicalize_files=canonicalize_files)), CANONICALIZE_FILES
    )
    assert "pointline_canonicalize_files on 3 barsco_bars_1m batches differs" in message
    assert "in the order given" in message


def test_canonicalize_files_raising_on_valid_samples_fails(suite_for, variant):
    def canonicalize_files(files, table, frames):
        raise ValueError("not today")

    message = failure(
        suite_for(variant(pointline_canonicalize_files=canonicalize_files)), CANONICALIZE_FILES
    )
    assert "pointline_canonicalize_files raised ValueError on the barsco_bars_1m samples" in message
    assert "return None to decline" in message
