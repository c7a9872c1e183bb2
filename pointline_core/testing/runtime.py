"""Runtime conformance checks: discover, parse and canonicalize at work on sample files.

They go through a :class:`~pointline_core.plugins.Plugins` registry holding the plugin, so
hooks are routed exactly as in production.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import polars as pl

from pointline_core.ingest.canonicalize import check_canonical
from pointline_core.ingest.failure import FileFailed
from pointline_core.ingest.validate import DETAIL, REASON
from pointline_core.models import BronzeFile, Unrecognised
from pointline_core.plugins import Plugins
from pointline_core.schemas.spec import TableSpec
from pointline_core.testing.failures import fail
from pointline_core.testing.samples import STRAY_FILE, Sample, keyed

#: batch_rows used to read a file "whole" when a check needs every row at once.
WHOLE_FILE_BATCH_ROWS = 1_000_000

# --- discover -------------------------------------------------------------------------------


def discover_items(
    plugins: Plugins, vendor: str, bronze_root: Path
) -> list[BronzeFile | Unrecognised]:
    """Everything ``discover`` yields for ``bronze_root``, failing if it raises."""
    __tracebackhide__ = True
    try:
        result = plugins.call(
            vendor,
            "pointline_discover",
            vendor_root=bronze_root / vendor,
            bronze_root=bronze_root,
        )
        return list(result or ())
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"pointline_discover raised {type(exc).__name__}: {exc}",
            "discover must not raise for ordinary files: yield Unrecognised(vendor, rel_path, "
            "reason) for a file it cannot ingest",
        ) from exc


def check_discover(
    plugins: Plugins, vendor: str, bronze_root: Path, samples: Mapping[str, Sample]
) -> list[BronzeFile]:
    """``discover`` finds every sample with its data type, and nothing else.

    ``bronze_root`` holds the samples at their ``rel_path`` plus a stray file in the vendor
    folder and a decoy in another folder (see :func:`~pointline_core.testing.samples.
    layout_bronze`), keyed by :func:`~pointline_core.testing.samples.file_key`. Returns the
    sample ``BronzeFile`` records in key order. A file may be listed once per data type.
    """
    __tracebackhide__ = True
    bronze_root = Path(bronze_root)
    data_types = set(plugins.vendor(vendor).info.data_types)
    for rel, sample in samples.items():
        if sample.data_type not in data_types:
            raise fail(
                vendor,
                f"sample {rel} has data_type {sample.data_type!r}, which VendorInfo.data_types "
                f"does not declare ({sorted(data_types)})",
                "fix Sample.data_type, or declare the data type",
            )
    items = discover_items(plugins, vendor, bronze_root)
    listed: dict[tuple[str, str], BronzeFile] = {}
    unrecognised: dict[str, Unrecognised] = {}
    for item in items:
        if isinstance(item, Unrecognised):
            unrecognised[item.rel_path] = item
            continue
        if not isinstance(item, BronzeFile):
            raise fail(
                vendor,
                f"pointline_discover yielded {item!r}",
                "yield only BronzeFile and Unrecognised records (pointline_core.models)",
            )
        _check_bronze_file(item, vendor, bronze_root, data_types)
        if (item.rel_path, item.data_type) in listed:
            raise fail(
                vendor,
                f"pointline_discover yielded {item.rel_path} twice as {item.data_type!r}",
                "yield each file once per data type (several data types only for a file whose "
                "rows go to several tables)",
            )
        listed[(item.rel_path, item.data_type)] = item
    files = keyed([(rel, dt, f) for (rel, dt), f in listed.items()])
    not_found = sorted(set(samples) - set(files))
    if not_found:
        why = [
            f"{rel} (Unrecognised: {unrecognised[rel].reason})"
            if rel in unrecognised
            else f"{rel} (not yielded)"
            for rel in not_found
        ]
        raise fail(
            vendor,
            f"pointline_discover does not find the samples {why}",
            "yield a BronzeFile for every file of your Bronze layout (check the naming rules "
            "in discover, and the samples' rel_path)",
        )
    extra = sorted(set(files) - set(samples))
    if extra:
        raise fail(
            vendor,
            f"pointline_discover returns files that are not ingestible samples: {extra}",
            f"yield Unrecognised(vendor, rel_path, reason) for files you cannot ingest (the "
            f"suite planted {vendor}/{STRAY_FILE}) and never look outside vendor_root",
        )
    wrong = [
        f"{key}: {files[key].data_type!r} (sample says {s.data_type!r})"
        for key, s in samples.items()
        if files[key].data_type != s.data_type
    ]
    if wrong:
        raise fail(
            vendor,
            f"pointline_discover reports other data types than the samples declare: {wrong}",
            "fix the data type detection in discover (or Sample.data_type)",
        )
    stray = f"{vendor}/{STRAY_FILE}"
    if stray not in unrecognised:
        raise fail(
            vendor,
            f"pointline_discover ignores {stray} silently",
            "yield Unrecognised(vendor, rel_path, reason) for every file under vendor_root "
            "that you cannot ingest, so nothing is skipped without a trace",
        )
    outside = sorted(r for r in unrecognised if not r.startswith(f"{vendor}/"))
    if outside:
        raise fail(
            vendor,
            f"pointline_discover reports files outside its folder: {outside}",
            "walk vendor_root only; other folders belong to other vendors",
        )
    with tempfile.TemporaryDirectory(prefix="pointline-conformance-empty-") as empty:
        found_in_empty = discover_items(plugins, vendor, Path(empty))
    if found_in_empty:
        raise fail(
            vendor,
            "pointline_discover yields files when its vendor folder does not exist",
            "return nothing when vendor_root does not exist",
        )
    return [files[rel] for rel in sorted(files)]


def _check_bronze_file(item: BronzeFile, vendor: str, bronze_root: Path, types: set[str]) -> None:
    __tracebackhide__ = True
    problems = []
    if item.vendor != vendor:
        problems.append(f"vendor is {item.vendor!r}")
    if item.data_type not in types:
        problems.append(f"data_type {item.data_type!r} is not in VendorInfo.data_types")
    path = Path(item.path)
    if not path.is_absolute() or not path.is_file():
        problems.append(f"path {str(path)!r} is not an absolute path of an existing file")
    else:
        try:
            rel = path.resolve().relative_to(bronze_root.resolve()).as_posix()
        except ValueError:
            rel = None
        if rel != item.rel_path:
            problems.append(
                f"rel_path {item.rel_path!r} is not the path relative to the Bronze root "
                f"({rel!r}, '/' separators)"
            )
    if problems:
        raise fail(
            vendor,
            f"pointline_discover yielded a malformed BronzeFile for {item.rel_path}: "
            + "; ".join(problems),
            "yield BronzeFile(vendor, data_type, path, path.relative_to(bronze_root).as_posix(), "
            "meta) with the plugin's own vendor name and a declared data type",
        )


# --- parse ----------------------------------------------------------------------------------


def parse_frames(plugins: Plugins, file: BronzeFile, batch_rows: int) -> list[pl.DataFrame]:
    """Every non-empty frame ``parse`` yields for ``file``, failing on anything but frames."""
    __tracebackhide__ = True
    vendor = file.vendor
    try:
        result = plugins.call(vendor, "pointline_parse", file=file, batch_rows=batch_rows)
        frames = list(result or ())
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"pointline_parse raised {type(exc).__name__} on sample {file.rel_path}: {exc}",
            "parse must read every valid sample; raise ParseError only for unreadable input",
        ) from exc
    bad = [type(f).__name__ for f in frames if not isinstance(f, pl.DataFrame)]
    if bad:
        raise fail(
            vendor,
            f"pointline_parse yielded {bad[0]} for {file.rel_path}",
            "yield polars DataFrames (a LazyFrame must be collected batch by batch)",
        )
    return [f for f in frames if f.height]


def check_parse_batches(
    plugins: Plugins, vendor: str, files: Sequence[BronzeFile], tolerance: float = 1.5
) -> None:
    """With a small ``batch_rows``, ``parse`` yields several bounded batches that concatenate
    to exactly what one big batch holds (same columns, dtypes, rows and order).

    The runner numbers rows across batches (``file_seq``), so a batch size that changes the
    rows or their types would change the lake.
    """
    __tracebackhide__ = True
    tested = 0
    for file in files:
        whole = parse_frames(plugins, file, WHOLE_FILE_BATCH_ROWS)
        rows = sum(f.height for f in whole)
        if rows < 2:
            continue
        tested += 1
        batch_rows = max(1, rows // 3)
        small = parse_frames(plugins, file, batch_rows)
        sizes = [f.height for f in small]
        if len(small) < 2:
            raise fail(
                vendor,
                f"pointline_parse yields {len(small)} batch(es) for {file.rel_path} ({rows} "
                f"rows) with batch_rows={batch_rows}",
                "yield batches of at most about batch_rows rows, e.g. "
                "pl.scan_csv(path, ...).collect_batches(chunk_size=batch_rows)",
            )
        if max(sizes) > batch_rows * tolerance:
            raise fail(
                vendor,
                f"pointline_parse yields batches of {sizes} rows for {file.rel_path} with "
                f"batch_rows={batch_rows}",
                "keep every batch at most about batch_rows rows",
            )
        schemas = {str(f.schema) for f in small + whole}
        if len(schemas) > 1:
            raise fail(
                vendor,
                f"pointline_parse yields frames with different schemas for {file.rel_path} "
                f"depending on the batch: {sorted(schemas)}",
                "give every batch the same columns and dtypes (read with an explicit schema or "
                "infer_schema=False; never infer types per batch)",
            )
        if not pl.concat(small).equals(pl.concat(whole)):
            raise fail(
                vendor,
                f"pointline_parse yields other rows for {file.rel_path} with batch_rows="
                f"{batch_rows} than in one batch",
                "yield every row once, in file order, whatever batch_rows is",
            )
    if not tested:
        raise fail(
            vendor,
            "no sample has at least 2 rows, so batching cannot be checked",
            "add a sample with several rows",
        )


@attrs.frozen(slots=True)
class StreamProbe:
    """What :func:`check_parse_streams` found on the large copy.

    ``method`` is ``"unreadable last line"`` when the deterministic probe decided, or
    ``"timing"`` when the plugin accepted the bad line and the timing probe decided.
    ``rows_before_error`` is how many rows the plugin yielded before refusing the last line.
    """

    rows: int
    batch_rows: int
    batches: int
    first_batch_s: float
    total_s: float
    method: str = "timing"
    rows_before_error: int | None = None

    @property
    def first_share(self) -> float:
        """Share of the parse time spent before the first batch (1.0 = nothing streamed)."""
        return self.first_batch_s / self.total_s if self.total_s > 0 else 1.0


def _probe_once(plugins: Plugins, file: BronzeFile, batch_rows: int) -> StreamProbe:
    __tracebackhide__ = True
    vendor = file.vendor
    start = time.perf_counter()
    try:
        batches = iter(
            plugins.call(vendor, "pointline_parse", file=file, batch_rows=batch_rows) or ()
        )
        first = next(batches, None)
        first_at = time.perf_counter()
        rows = first.height if isinstance(first, pl.DataFrame) else 0
        count = 1 if first is not None else 0
        for batch in batches:
            rows += batch.height
            count += 1
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"pointline_parse raised {type(exc).__name__} on a large copy of a sample "
            f"({file.rel_path}): {exc}",
            "parse must read any number of valid rows; if the suite's large copy is not a "
            "valid file of your format, override make_large_copy in your test class",
        ) from exc
    end = time.perf_counter()
    return StreamProbe(rows, batch_rows, count, first_at - start, end - start)


def _rows_before_error(
    plugins: Plugins, file: BronzeFile, batch_rows: int
) -> tuple[int, BaseException | None]:
    """Rows ``parse`` yields for ``file`` before it raises (and the error, if any)."""
    rows = 0
    try:
        result = plugins.call(file.vendor, "pointline_parse", file=file, batch_rows=batch_rows)
        for batch in result or ():
            rows += batch.height if isinstance(batch, pl.DataFrame) else 0
    except Exception as exc:  # noqa: BLE001 - the error is the measurement
        return rows, exc
    return rows, None


_STREAM_FIX = (
    "read lazily and yield as you go: pl.scan_csv(path, ...).collect_batches("
    "chunk_size=batch_rows), or read blocks of lines and parse each; never pl.read_csv "
    "(or .collect()) the whole file and slice it"
)


def check_parse_streams(
    plugins: Plugins,
    vendor: str,
    file: BronzeFile,
    rows: int,
    poisoned: BronzeFile | None = None,
    *,
    max_first_share: float = 0.9,
    attempts: int = 3,
) -> StreamProbe:
    """``parse`` does not materialise the whole file before yielding its first batch.

    ``file`` is a large valid file of ``rows`` rows made from a sample; ``poisoned`` is the
    same file with one unreadable line appended at the very end (see
    :func:`~pointline_core.testing.samples.poison_tail`). Both are read with
    ``batch_rows = rows // 32``.

    1. The clean copy must yield all ``rows`` in several batches (sanity of the copy and of
       batching on a large file).
    2. Deterministic probe: on the poisoned copy a streaming parser yields rows and only
       then fails on the last line; a parser that reads and parses the whole file before
       yielding fails before its first batch. No timing is involved, so this cannot flake.
    3. Only if the plugin accepts the bad line (so the probe cannot decide): a timing probe.
       A streaming parser yields its first batch after part of the work (2-60 % with polars'
       ``collect_batches`` or block readers on a 32 MB file); one that reads everything first
       spends ~100 % of the time before its first batch and then only slices memory. The
       share is a ratio of two times of one run, so machine speed cancels out, and the check
       fails only if all ``attempts`` runs are above ``max_first_share``.
    """
    __tracebackhide__ = True
    batch_rows = max(1, rows // 32)
    probe = _probe_once(plugins, file, batch_rows)
    if probe.rows != rows:
        raise fail(
            vendor,
            f"pointline_parse yields {probe.rows} rows for a large copy of sample "
            f"{file.rel_path} made of {rows} data lines",
            "yield every row of the file; if the suite's line-repeating copy does not suit "
            "your format, override make_large_copy in your test class",
        )
    if probe.batches < 2:
        raise fail(
            vendor,
            f"pointline_parse yields {probe.batches} batch for {rows} rows with "
            f"batch_rows={batch_rows}",
            "yield batches of at most about batch_rows rows",
        )
    if poisoned is not None:
        before, error = _rows_before_error(plugins, poisoned, batch_rows)
        if error is not None and before == 0:
            raise fail(
                vendor,
                f"pointline_parse materialises the whole file: on a large copy of sample "
                f"{file.rel_path} ({rows} rows, batch_rows={batch_rows}) whose only "
                f"unreadable line is the last one, parse raised {type(error).__name__} "
                f"({_short(error)}) before yielding a single row, so it read the whole file "
                "before yielding anything",
                _STREAM_FIX,
            )
        if error is not None:
            return attrs.evolve(probe, method="unreadable last line", rows_before_error=before)
    probes = [probe]
    while probe.first_share > max_first_share and len(probes) < attempts:
        probe = _probe_once(plugins, file, batch_rows)
        probes.append(probe)
    best = min(probes, key=lambda p: p.first_share)
    if best.first_share > max_first_share:
        raise fail(
            vendor,
            f"pointline_parse materialises the whole file: on a large copy of sample "
            f"{file.rel_path} ({rows} rows, batch_rows={batch_rows}) the first batch came only "
            f"after {best.first_share:.0%} of the parse time ({best.first_batch_s:.3f}s of "
            f"{best.total_s:.3f}s, best of {len(probes)} runs), so the file was read "
            "completely before anything was yielded (timed, because parse also accepted a "
            "last line of NUL and non-UTF-8 bytes)",
            _STREAM_FIX,
        )
    return best


def _short(error: BaseException, limit: int = 200) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- canonicalize ---------------------------------------------------------------------------


def check_canonicalize(plugins: Plugins, vendor: str, files: Sequence[BronzeFile]) -> None:
    """Each parsed batch becomes exactly the table's vendor columns and dtypes, row for row,
    the same on every call, and only with declared exchanges.

    The contract check itself is the ingest runner's
    :func:`~pointline_core.ingest.canonicalize.check_canonical`, so passing here means the runner
    accepts the frames.
    """
    __tracebackhide__ = True
    declared = {e.name for e in plugins.vendor(vendor).exchanges}
    tested = 0
    for file in files:
        spec = plugins.table_for(vendor, file.data_type)
        whole = parse_frames(plugins, file, WHOLE_FILE_BATCH_ROWS)
        rows = sum(f.height for f in whole)
        for raw in parse_frames(plugins, file, max(1, rows // 3)):
            tested += 1
            out = _canonicalize(plugins, file, spec, raw)
            try:
                check_canonical(out, spec, raw.height, vendor)
            except FileFailed as exc:
                raise fail(
                    vendor, f"on sample {file.rel_path}: {exc.reason}", _canonical_fix(spec, out)
                ) from None
            again = _canonicalize(plugins, file, spec, raw)
            if not (isinstance(again, pl.DataFrame) and again.equals(out)):
                raise fail(
                    vendor,
                    f"pointline_canonicalize returns different frames for the same batch of "
                    f"{file.rel_path}",
                    "make canonicalize a pure function of (file, table, frame): no clocks, "
                    "random numbers or state kept between calls",
                )
            if "exchange" not in out.columns:
                continue
            unknown = sorted(set(out.get_column("exchange").unique().drop_nulls()) - declared)
            if unknown:
                raise fail(
                    vendor,
                    f"pointline_canonicalize returns exchanges {unknown} for {file.rel_path} "
                    f"that pointline_exchanges does not declare ({sorted(declared)})",
                    "declare every exchange your rows name (its timezone decides trading_date)",
                )
    if not tested:
        raise fail(vendor, "no sample has rows to canonicalize", "add a sample with rows")


def check_canonicalize_files(plugins: Plugins, vendor: str, files: Sequence[BronzeFile]) -> None:
    """``pointline_canonicalize_files``, where implemented, equals ``pointline_canonicalize``
    batch by batch, concatenated: per table, over every sample's batches at once (whole files,
    then thirds). Declining (``None``) passes; raising on the plugin's own samples does not
    (the runner would silently fall back to the slow path on every unit)."""
    __tracebackhide__ = True
    if not plugins.implements(vendor, "pointline_canonicalize_files"):
        return
    by_table: dict[str, list[BronzeFile]] = {}
    for file in files:
        by_table.setdefault(plugins.table_for(vendor, file.data_type).name, []).append(file)
    for table, members in sorted(by_table.items()):
        spec = plugins.tables.get(table)
        for third in (False, True):
            parts = [
                (file, raw)
                for file in members
                for raw in _sample_batches(plugins, file, third)
                if raw.height
            ]
            if not parts:
                continue
            expected = pl.concat(
                [_canonicalize(plugins, f, spec, raw) for f, raw in parts], how="diagonal_relaxed"
            )
            try:
                together = plugins.call(
                    vendor,
                    "pointline_canonicalize_files",
                    files=[f for f, _ in parts],
                    table=table,
                    frames=[raw for _, raw in parts],
                )
            except Exception as exc:  # noqa: BLE001
                raise fail(
                    vendor,
                    f"pointline_canonicalize_files raised {type(exc).__name__} on the {table} "
                    f"samples: {exc}",
                    "return None to decline a mix of files you cannot map in one go; raise "
                    "nothing on valid input",
                ) from exc
            if together is None:
                continue
            if not (isinstance(together, pl.DataFrame) and _same_rows(together, expected)):
                raise fail(
                    vendor,
                    f"pointline_canonicalize_files on {len(parts)} {table} batches differs from "
                    "pointline_canonicalize batch by batch, concatenated",
                    "return exactly the per-batch results in the order given (same columns, "
                    "dtypes and rows); a file's own values (its name's symbol, exchange) must "
                    "stay with its rows",
                )


def check_parse_files(plugins: Plugins, vendor: str, files: Sequence[BronzeFile]) -> None:
    """``pointline_parse_files``, where implemented, equals ``pointline_parse`` file by file:
    over every sample at once, with whole-file batches and with batches of a third of the
    smallest sample's rows. Declining (``None``) passes; raising on the plugin's own samples
    does not (the runner would silently fall back to the slow path on every unit)."""
    __tracebackhide__ = True
    if not plugins.implements(vendor, "pointline_parse_files"):
        return
    whole = [parse_frames(plugins, file, WHOLE_FILE_BATCH_ROWS) for file in files]
    rows = [sum(f.height for f in frames) for frames in whole]
    third = max(1, min((r for r in rows if r), default=3) // 3)
    thirds = [parse_frames(plugins, file, third) for file in files]
    for batch_rows, expected in ((WHOLE_FILE_BATCH_ROWS, whole), (third, thirds)):
        try:
            together = plugins.call(
                vendor, "pointline_parse_files", files=list(files), batch_rows=batch_rows
            )
        except Exception as exc:  # noqa: BLE001
            raise fail(
                vendor,
                f"pointline_parse_files raised {type(exc).__name__} on the samples: {exc}",
                "return None to decline files you cannot read in one go; raise nothing on "
                "valid input",
            ) from exc
        if together is None:
            continue
        got = [[f for f in batches if f.height] for batches in together]
        same = len(got) == len(expected) and all(
            len(g) == len(e)
            and all(a.schema == b.schema and a.equals(b) for a, b in zip(g, e, strict=True))
            for g, e in zip(got, expected, strict=True)
        )
        if not same:
            raise fail(
                vendor,
                f"pointline_parse_files on {len(files)} samples (batch_rows={batch_rows}) "
                "differs from pointline_parse file by file",
                "return, per file and in the order given, exactly the batches pointline_parse "
                "yields (same rows, columns, dtypes and batch sizes)",
            )


def _sample_batches(plugins: Plugins, file: BronzeFile, third: bool) -> list[pl.DataFrame]:
    whole = parse_frames(plugins, file, WHOLE_FILE_BATCH_ROWS)
    if not third:
        return whole
    return parse_frames(plugins, file, max(1, sum(f.height for f in whole) // 3))


def _same_rows(got: pl.DataFrame, want: pl.DataFrame) -> bool:
    if sorted(got.columns) != sorted(want.columns):
        return False
    return got.select(want.columns).equals(want)


def _canonicalize(plugins: Plugins, file: BronzeFile, spec: TableSpec, raw: pl.DataFrame) -> Any:
    __tracebackhide__ = True
    try:
        return plugins.call(
            file.vendor, "pointline_canonicalize", file=file, table=spec.name, frame=raw
        )
    except Exception as exc:  # noqa: BLE001
        raise fail(
            file.vendor,
            f"pointline_canonicalize raised {type(exc).__name__} on sample {file.rel_path}: {exc}",
            "valid rows must canonicalize; flag bad rows in the String column "
            f"'{REASON}' instead of raising, and raise CanonicalizeError only when the whole "
            "file is unusable",
        ) from exc


def _canonical_fix(spec: TableSpec, out: object) -> str:
    """What to change, for the columns that are wrong, then the full list for reference."""
    want = spec.vendor_columns()
    steps = []
    if isinstance(out, pl.DataFrame):
        allowed = {*want, *spec.optional_columns(), REASON, DETAIL}
        extra = [c for c in out.columns if c not in allowed]
        missing = [c for c in want if c not in out.columns]
        wrong = [
            f"{c} to {spec.column(c).dtype}"
            for c in want
            if c in out.schema and out.schema[c] != spec.column(c).polars_dtype()
        ]
        if extra:
            steps.append(
                f"drop {extra} (select only the spec's columns at the end of canonicalize; a "
                f"per-row problem goes in the String column '{REASON}', not a new column)"
            )
        if missing:
            steps.append(f"add {missing}")
        legacy = [
            c
            for c in want
            if c in out.schema
            and spec.column(c).scale is not None
            and out.schema[c] in (pl.Int64, pl.List(pl.Int64))
        ]
        if legacy:
            steps.append(
                f"{legacy} are Int64 fixed point (plugin API 1.x); since API 2.0 they are "
                "exact decimals: build them with pointline_core.fixedpoint.encode(text, "
                "spec.column(name).scale), which gives Decimal(38, scale), instead of "
                "integers (and set api_version to the core's PLUGIN_API_VERSION)"
            )
            wrong = [w for w in wrong if w.split(" to ")[0] not in legacy]
        if wrong:
            steps.append(
                f"cast {', '.join(wrong)} (pl.col(name).cast(spec.column(name).polars_dtype()); "
                "decimal columns come from pointline_core.fixedpoint.encode, which gives "
                "Decimal(38, scale))"
            )
        if out.height and not (extra or missing or wrong):
            steps.append("return one output row per parsed row, in the same order")
    else:
        steps.append("return a polars DataFrame")
    columns = ", ".join(f"{c} {spec.column(c).dtype}" for c in want)
    return (
        "; ".join(steps)
        + f". Table {spec.name!r} expects exactly (spec.vendor_columns(), any order): "
        + columns
        + f", plus optionally '{REASON}' String"
    )
