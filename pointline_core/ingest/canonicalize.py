"""Stage: canonicalize. The plugin maps a raw batch to the table's columns; the core checks
the result against the contract before anything else touches it.

Small files go through the plugin's optional ``pointline_canonicalize_files`` many at a time
(:func:`canonicalize_files`): one polars query over a run of files instead of one per file.
Anything short of a checked result there falls back to the per-batch hook, which names the
file at fault."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import polars as pl

from pointline_core.ingest.failure import FileFailed, hook_error
from pointline_core.ingest.validate import DETAIL, REASON
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins
from pointline_core.schemas.spec import TableSpec


@functools.cache
def _vendor_schema(spec: TableSpec) -> dict[str, pl.DataType]:
    names = set(spec.vendor_columns()) | set(spec.optional_columns())
    return dict(spec.polars_schema(tuple(n for n in spec.column_names if n in names)))


def check_canonical(frame: object, spec: TableSpec, rows: int, vendor: str) -> pl.DataFrame:
    """The canonicalize contract: a DataFrame, exact vendor columns and dtypes, same rows,
    plus the optional String columns ``_reject_reason`` and ``_reject_detail``.

    Columns the spec gained after its release (``ColumnSpec.added_later``, always nullable)
    may be absent, so a plugin built for the earlier spec keeps working (a minor version of
    the plugin API only ever adds). So may ``optional`` columns (facts only some sources have,
    such as nanosecond clocks). :func:`completed` fills them with nulls later, once per batch
    or group of small files: an eager step here would be one more polars query per file.
    """
    if not isinstance(frame, pl.DataFrame):
        raise FileFailed(
            f"schema_mismatch: plugin {vendor!r} canonicalize returned "
            f"{type(frame).__name__}, expected a polars DataFrame"
        )
    want = _vendor_schema(spec)
    absent = set(_absent(spec, frame.columns))
    schema = frame.schema
    have = [c for c in schema if c not in (REASON, DETAIL)]
    missing = [c for c in want if c not in schema and c not in absent]
    extra = [c for c in have if c not in want]
    wrong = [
        f"{c}: {schema[c]} (spec {spec.column(c).dtype})"
        for c, dtype in want.items()
        if c in schema and schema[c] != dtype
    ]
    for name in (REASON, DETAIL):
        if name in schema and schema[name] not in (pl.String, pl.Null):
            wrong.append(f"{name}: {schema[name]} (must be String)")
    problems = [
        f"{label} {items}"
        for label, items in (("missing", missing), ("unexpected", extra), ("wrong dtype", wrong))
        if items
    ]
    if frame.height != rows:
        problems.append(f"returned {frame.height} rows for {rows} parsed rows")
    if problems:
        raise FileFailed(
            f"schema_mismatch: plugin {vendor!r} canonicalize for table {spec.name!r}: "
            + "; ".join(problems)
        )
    _check_clocks(frame, spec, vendor)
    return frame


#: Full-resolution clocks and the lake's microsecond clocks they must agree with.
CLOCK_PAIRS = (("ts_event_ns", "ts_event_us"), ("ts_local_ns", "ts_local_us"))


def _check_clocks(frame: pl.DataFrame, spec: TableSpec, vendor: str) -> None:
    """A row whose nanosecond clock does not floor to its microsecond clock would sort,
    partition and join by one time and report another: the file fails (a plugin bug, never a
    data problem: both come from one source value). Free for plugins without ns columns."""
    pairs = [(ns, us) for ns, us in CLOCK_PAIRS if ns in frame.columns and us in frame.columns]
    if not pairs:
        return
    bad = [
        (pl.col(ns).is_not_null() & (pl.col(us) != pl.col(ns) // 1000)).alias(ns)
        for ns, us in pairs
    ]
    flags = frame.select(bad)
    for ns, us in pairs:
        rows = flags.get_column(ns).arg_true()
        if rows.len():
            first = rows[0]
            raise FileFailed(
                f"clock_mismatch: plugin {vendor!r} canonicalize for table {spec.name!r}: "
                f"{rows.len()} rows have {us} != {ns} // 1000 (first: row {first}, {us}="
                f"{frame[us][first]}, {ns}={frame[ns][first]}); derive {us} from {ns} "
                "(floor division by 1000)"
            )


def _absent(spec: TableSpec, columns: Sequence[str]) -> list[str]:
    """Nullable columns a plugin may leave out (added later, or optional) that are absent."""
    want = _vendor_schema(spec)
    return [
        c.name
        for c in spec.columns
        if (c.added_later or c.optional) and c.name in want and c.name not in columns
    ]


def completed(frame: pl.DataFrame, spec: TableSpec) -> pl.DataFrame:
    """Checked canonical rows made whole, in one polars query per batch or group of small
    files: absent added-later / optional columns as nulls ("not known"), and a plugin's
    ``_reject_detail`` kept only next to its ``_reject_reason`` (before the core's rules add
    reasons of their own)."""
    want = _vendor_schema(spec)
    steps = [pl.lit(None, want[n]).alias(n) for n in _absent(spec, frame.columns)]
    if DETAIL in frame.columns:
        if frame.get_column(DETAIL).null_count() == frame.height:
            # the common case, a clean batch: no detail to mask (null counts are free)
            steps.append(pl.lit(None, pl.String).alias(DETAIL))
        else:
            keep = pl.col(REASON).is_not_null() if REASON in frame.columns else pl.lit(False)
            steps.append(pl.when(keep).then(pl.col(DETAIL).cast(pl.String)).alias(DETAIL))
    return frame.with_columns(steps) if steps else frame


def canonicalize(
    plugins: Plugins, file: BronzeFile, spec: TableSpec, raw: pl.DataFrame
) -> pl.DataFrame:
    """One raw batch through the owning plugin's ``pointline_canonicalize``, checked."""
    try:
        canon = plugins.call(
            file.vendor, "pointline_canonicalize", file=file, table=spec.name, frame=raw
        )
    except Exception as exc:  # noqa: BLE001 - a plugin failure fails this file only
        raise hook_error(file.vendor, "canonicalize", exc) from exc
    return check_canonical(canon, spec, raw.height, file.vendor)


def canonicalize_files(
    plugins: Plugins, spec: TableSpec, files: Sequence[BronzeFile], raws: Sequence[pl.DataFrame]
) -> list[pl.DataFrame] | None:
    """The batches ``raws`` (of ``files``, one plugin, table ``spec``) through the plugin's
    ``pointline_canonicalize_files`` in one call, checked and cut back into one canonical
    frame per batch (zero-copy slices).

    ``None`` means "canonicalize these batch by batch": the plugin does not implement the
    hook, declined, raised, or returned a frame that breaks the contract. The per-batch
    hook then decides, so a doomed file fails alone with its own reason and a plugin bug in
    the many-file path costs speed, never rows.
    """
    if len(raws) < 2 or not plugins.implements(files[0].vendor, "pointline_canonicalize_files"):
        return None  # one batch (or none: empty files) gains nothing from the many-file call
    vendor = files[0].vendor
    rows = sum(raw.height for raw in raws)
    try:
        canon = plugins.call(
            vendor,
            "pointline_canonicalize_files",
            files=list(files),
            table=spec.name,
            frames=list(raws),
        )
        if canon is None:
            return None
        canon = check_canonical(canon, spec, rows, vendor)
    except Exception:  # noqa: BLE001 - the per-batch hook decides (FileFailed included)
        return None
    out = []
    offset = 0
    for raw in raws:
        out.append(canon.slice(offset, raw.height))
        offset += raw.height
    return out
