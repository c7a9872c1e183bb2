"""End-to-end conformance checks: the samples ingested into a temporary lake.

Expected row counts, reruns that write nothing, determinism across batch sizes, and a
corrupted sample that fails with a reason naming the plugin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import polars as pl

from pointline_core.ingest.report import IngestReport
from pointline_core.ingest.runner import IngestOptions, ingest
from pointline_core.plugins import Plugins
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import LOCK_DIR, Lake
from pointline_core.storage.quarantine import quarantine_spec
from pointline_core.testing.failures import fail
from pointline_core.testing.samples import Sample, keyed


def import_symbols(
    plugins: Plugins, vendor: str, lake_root: Path, symbols: object, vendor_format: bool = False
) -> None:
    """Load the test's symbols into ``dim_symbol`` so sample rows get a ``symbol_id``.

    ``symbols`` is a generic symbols file (CSV/Parquet: exchange, exchange_symbol, valid_from,
    ...), a polars frame of such rows, or with ``vendor_format`` the vendor's own file read by
    its ``pointline_read_symbols``. ``None`` imports nothing.
    """
    __tracebackhide__ = True
    if symbols is None:
        return
    store = DimSymbolStore(Lake(lake_root))
    if isinstance(symbols, pl.DataFrame):
        store.apply(symbols, source="conformance symbols")
        return
    path = Path(str(symbols))
    if not vendor_format:
        store.import_file(path)
        return
    if not plugins.implements(vendor, "pointline_read_symbols"):
        raise fail(
            vendor,
            "the test asks for vendor-format symbols but the plugin has no pointline_read_symbols",
            "implement pointline_read_symbols, or give a generic symbols file",
        )
    try:
        rows = plugins.call(vendor, "pointline_read_symbols", path=path)
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"pointline_read_symbols raised {type(exc).__name__} on {path}: {exc}",
            "read the vendor's instrument file into generic symbol rows",
        ) from exc
    if not isinstance(rows, pl.DataFrame):
        raise fail(
            vendor,
            f"pointline_read_symbols returned {type(rows).__name__}",
            "return a polars DataFrame of generic symbol rows",
        )
    store.import_file(path, vendor_rows=rows)


def run_ingest(
    plugins: Plugins,
    vendor: str,
    bronze_root: Path,
    lake_root: Path,
    symbols: object = None,
    vendor_format_symbols: bool = False,
    options: IngestOptions | None = None,
) -> IngestReport:
    """Import the symbols, then ingest ``bronze_root`` for this vendor only (no progress bar)."""
    __tracebackhide__ = True
    import_symbols(plugins, vendor, lake_root, symbols, vendor_format_symbols)
    return ingest(
        bronze_root, lake_root, vendors=[vendor], plugins=plugins, progress=False, options=options
    )


def table_rows(
    lake_root: Path, table: TableSpec, zone: Literal["silver", "quarantine"] = "silver"
) -> pl.DataFrame:
    """All rows of a lake table (empty with the right columns if it was never written)."""
    spec = quarantine_spec(table) if zone == "quarantine" else table
    path = Lake(lake_root).table_path(table.name, zone)
    if not (path / "_delta_log").is_dir():
        return spec.empty_frame()
    return pl.read_delta(str(path))


def check_ingest_counts(
    plugins: Plugins, vendor: str, report: IngestReport, samples: Mapping[str, Sample], lake: Path
) -> None:
    """Every sample lands exactly its expected rows; table totals in the lake agree."""
    __tracebackhide__ = True
    if report.vendor_errors:
        raise fail(
            vendor,
            f"the ingest run failed as a whole: {[e.error for e in report.vendor_errors]}",
            "fix the hook named in the error",
        )
    if report.unrecognised:
        raise fail(
            vendor,
            f"the ingest run found unrecognised files: {[u.rel_path for u in report.unrecognised]}",
            "discover must recognise every sample",
        )
    results = keyed([(f.rel_path, f.data_type, f) for f in report.files])
    expected_tables: dict[str, int] = {}
    for rel, sample in sorted(samples.items()):
        table = plugins.table_for(vendor, sample.data_type).name
        unexpected = sorted(set(sample.expected_rows) - {table})
        if unexpected:
            raise fail(
                vendor,
                f"sample {rel} expects rows in {unexpected}, but data type "
                f"{sample.data_type!r} lands in table {table!r}",
                f"key Sample.expected_rows by {table!r}",
            )
        want = sample.expected_rows.get(table, 0)
        expected_tables[table] = expected_tables.get(table, 0) + want
        got = results.get(rel)
        if got is None:
            raise fail(vendor, f"the ingest run did not process sample {rel}", "see discover")
        if got.status == "failed":
            raise fail(
                vendor,
                f"sample {rel} failed to ingest: {got.reason}",
                "fix the hook named in the reason; the check of that hook says exactly what",
            )
        if (got.rows_written, got.rows_quarantined) != (want, sample.expected_quarantined):
            hint = "check the sample's expected counts and canonicalize"
            if "symbol_not_covered" in got.quarantine_reasons:
                hint = (
                    "rows were quarantined as symbol_not_covered: give the test symbols "
                    "(the `symbols` attribute) with a dim_symbol window for every "
                    "(exchange, symbol) of the samples, starting before their first event"
                )
            raise fail(
                vendor,
                f"sample {rel} landed {got.rows_written} rows in {table!r} and quarantined "
                f"{got.rows_quarantined} (reasons {got.quarantine_reasons}); expected "
                f"{want} and {sample.expected_quarantined}",
                hint,
            )
    for table, want in sorted(expected_tables.items()):
        have = table_rows(lake, plugins.tables.get(table)).height
        if have != want:
            raise fail(
                vendor,
                f"table {table!r} holds {have} rows after ingesting the samples; expected {want}",
                "check the samples' expected counts",
            )


def lake_snapshot(lake_root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every data and log file in the lake (locks excluded)."""
    lake_root = Path(lake_root)
    return {
        p.relative_to(lake_root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lake_root.rglob("*"))
        if p.is_file() and p.relative_to(lake_root).parts[0] != LOCK_DIR
    }


def check_rerun_writes_nothing(
    plugins: Plugins,
    vendor: str,
    bronze_root: Path,
    lake_root: Path,
    options: IngestOptions | None = None,
    first: IngestReport | None = None,
) -> None:
    """Ingesting the same Bronze root again skips every file and changes no lake file.

    A plugin whose discover reports other paths or data types on each run, or whose files
    change when read, would re-ingest (and duplicate work) on every run. ``first`` is the
    report of the ingest that filled the lake: files that failed there are retried by design,
    so the check then reports that instead.
    """
    __tracebackhide__ = True
    failed = [f.rel_path for f in (first.files if first else []) if f.status == "failed"]
    if failed:
        raise fail(
            vendor,
            f"cannot check reruns: the first ingest failed for {failed} (failed files are "
            "retried on every run by design)",
            "make the first ingest succeed (see test_ingest_lands_the_expected_rows)",
        )
    before = lake_snapshot(lake_root)
    report = ingest(
        bronze_root, lake_root, vendors=[vendor], plugins=plugins, progress=False, options=options
    )
    redone = [f"{f.rel_path} ({f.status})" for f in report.files if f.status != "skipped"]
    after = lake_snapshot(lake_root)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if redone or changed:
        raise fail(
            vendor,
            f"a rerun over the same Bronze files did work: files not skipped {redone}; lake "
            f"files changed {changed[:10]}",
            "discover must report the same rel_path and data_type for a file on every run, "
            "and nothing may modify Bronze files",
        )


def check_same_lake_content(
    plugins: Plugins, vendor: str, tables: Iterable[str], lake_a: Path, lake_b: Path
) -> None:
    """Two ingests of the same samples (different batch sizes) hold identical rows.

    Determinism is a contract rule: same Bronze input, same Silver content, ids included,
    whatever the batch size or the runner's grouping of files.
    """
    __tracebackhide__ = True
    for name in sorted(set(tables)):
        spec = plugins.tables.get(name)
        for zone in ("silver", "quarantine"):
            order = ["file_id", "file_seq"]
            a = table_rows(lake_a, spec, zone).sort(order)
            b = table_rows(lake_b, spec, zone).sort(order)
            b = b.select(a.columns) if set(a.columns) == set(b.columns) else b
            if not a.equals(b):
                raise fail(
                    vendor,
                    f"{zone} table {name!r} differs between two ingests of the same samples "
                    f"(batch_rows differs): {a.height} vs {b.height} rows",
                    "canonicalize must not depend on batch boundaries or call order: derive "
                    "every value from the row (and the file), never from the batch",
                )


def check_corrupted_sample_fails(
    plugins: Plugins,
    vendor: str,
    report: IngestReport,
    corrupted_rel: str,
    lake_root: Path,
    samples: Mapping[str, Sample],
) -> None:
    """The corrupted file is marked failed with a reason naming the plugin and lands nothing;
    the other samples still ingest."""
    __tracebackhide__ = True
    results = {f.rel_path: f for f in report.files}
    got = results.get(corrupted_rel)
    if got is None:
        raise fail(
            vendor,
            f"the corrupted copy of {corrupted_rel} was not even discovered",
            "discover names files by their path, not their content: yield it as a BronzeFile",
        )
    if got.status != "failed":
        raise fail(
            vendor,
            f"a corrupted copy of {corrupted_rel} (cut mid-line, then bytes that are not UTF-8; "
            f"or a truncated gzip stream) was accepted: status {got.status}, "
            f"{got.rows_written} rows written, {got.rows_quarantined} quarantined",
            "raise pointline_core.errors.ParseError(message, path=..., line=...) from parse when "
            "the input is unreadable (bad encoding, truncated stream, wrong field count); if "
            "your format tolerates this corruption, override corrupt() in your test class "
            "with one it must reject",
        )
    reason = got.reason or ""
    if f"plugin {vendor!r}" not in reason:
        raise fail(
            vendor,
            f"the corrupted copy failed with a reason that does not name the plugin: {reason!r}",
            "let the error propagate from your hook; the runner adds the plugin name",
        )
    if " raised " in reason:
        raise fail(
            vendor,
            f"the corrupted copy failed with an unexpected exception: {reason}",
            "catch the reader's errors in parse and raise pointline_core.errors.ParseError with "
            "the path and, where known, line and column, so the reason says what is wrong",
        )
    if got.file_id is not None:
        spec = plugins.table_for(vendor, got.data_type)
        for zone in ("silver", "quarantine"):
            rows = table_rows(lake_root, spec, zone).filter(pl.col("file_id") == got.file_id)
            if rows.height:
                raise fail(
                    vendor,
                    f"the failed corrupted file left {rows.height} rows in {zone} {spec.name!r}",
                    "raise while parsing instead of yielding partial batches that can be written",
                )
    sampled = {s.bronze_rel_path(vendor) for s in samples.values()}
    others = [
        f"{f.rel_path}: {f.reason}"
        for f in report.files
        if f.rel_path != corrupted_rel and f.rel_path in sampled and f.status == "failed"
    ]
    if others:
        raise fail(
            vendor,
            f"one corrupted file made other samples fail: {others}",
            "keep no state between files in the plugin",
        )
