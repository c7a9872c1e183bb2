"""Stages parse -> canonicalize -> trading_date -> validate -> PIT symbol_id -> lineage.

One Bronze file flows through here batch by batch; each parsed batch comes out as a pair of
frames: rows for the Silver table (exact spec columns) and rows for quarantine (with
``reason`` and ``detail``). Nothing is written here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

import attrs
import polars as pl

from pointline_core.errors import ParseError
from pointline_core.ingest.calendar import UnknownExchangeInData, with_trading_date
from pointline_core.ingest.validate import REASON, apply_rules, core_rules
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.dim_symbol import resolve_symbol_ids
from pointline_core.validation_rules import Rule

SYMBOL_NOT_COVERED = "symbol_not_covered"


class FileFailed(Exception):
    """The whole file fails; ``reason`` goes to the manifest and the run report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@attrs.define
class FileStats:
    """Running counts for one file (mutable: it accumulates while batches stream)."""

    rows_total: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    date_min: dt.date | None = None
    date_max: dt.date | None = None
    reasons: Counter[str] = attrs.field(factory=Counter)
    warnings: Counter[str] = attrs.field(factory=Counter)
    samples: dict[str, str] = attrs.field(factory=dict)

    def merge(self, other: FileStats | None) -> None:
        """Add another batch's counts of the same file."""
        if other is None:
            return
        self.rows_total += other.rows_total
        self.rows_written += other.rows_written
        self.rows_quarantined += other.rows_quarantined
        dates = [d for d in (self.date_min, other.date_min) if d is not None]
        self.date_min = min(dates) if dates else None
        dates = [d for d in (self.date_max, other.date_max) if d is not None]
        self.date_max = max(dates) if dates else None
        self.reasons.update(other.reasons)
        self.warnings.update(other.warnings)
        for reason, sample in other.samples.items():
            self.samples.setdefault(reason, sample)


def _hook_error(vendor: str, stage: str, exc: Exception) -> FileFailed:
    if isinstance(exc, ParseError):
        return FileFailed(f"parse_error: plugin {vendor!r}: {exc}")
    return FileFailed(f"{stage}_error: plugin {vendor!r} raised {type(exc).__name__}: {exc}")


@functools.cache
def _vendor_schema(spec: TableSpec) -> dict[str, pl.DataType]:
    return dict(spec.polars_schema(spec.vendor_columns()))


def check_canonical(frame: object, spec: TableSpec, rows: int, vendor: str) -> pl.DataFrame:
    """The canonicalize contract: a DataFrame, exact vendor columns and dtypes, same rows."""
    if not isinstance(frame, pl.DataFrame):
        raise FileFailed(
            f"schema_mismatch: plugin {vendor!r} canonicalize returned "
            f"{type(frame).__name__}, expected a polars DataFrame"
        )
    want = _vendor_schema(spec)
    schema = frame.schema
    have = [c for c in schema if c != REASON]
    missing = [c for c in want if c not in schema]
    extra = [c for c in have if c not in want]
    wrong = [
        f"{c}: {schema[c]} (spec {spec.column(c).dtype})"
        for c, dtype in want.items()
        if c in schema and schema[c] != dtype
    ]
    if REASON in schema and schema[REASON] not in (pl.String, pl.Null):
        wrong.append(f"{REASON}: {schema[REASON]} (must be String)")
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
    return frame


@attrs.frozen(slots=True)
class FileContext:
    """Everything the transform needs for one file, resolved once."""

    file: BronzeFile
    spec: TableSpec
    file_id: int
    timezones: Mapping[str, str]
    dim_symbol: pl.DataFrame = attrs.field(eq=False)
    rules: tuple[Rule, ...] = attrs.field(eq=False)
    quarantine_columns: tuple[str, ...]


def plugin_rules(plugins: Plugins, file: BronzeFile, spec: TableSpec) -> list[Rule]:
    if not plugins.implements(file.vendor, "pointline_validation_rules"):
        return []
    try:
        rules = plugins.call(file.vendor, "pointline_validation_rules", file=file, table=spec.name)
    except Exception as exc:  # noqa: BLE001 - a plugin failure fails this file only
        raise _hook_error(file.vendor, "validation_rules", exc) from exc
    rules = list(rules or ())
    bad = [r for r in rules if not isinstance(r, Rule)]
    if bad:
        raise FileFailed(
            f"validation_rules_error: plugin {file.vendor!r} returned {bad[0]!r}, expected Rule"
        )
    return rules


def _parsed_batches(plugins: Plugins, file: BronzeFile, batch_rows: int) -> Iterator[pl.DataFrame]:
    try:
        batches = plugins.call(file.vendor, "pointline_parse", file=file, batch_rows=batch_rows)
        for batch in batches or ():
            if not isinstance(batch, pl.DataFrame):
                raise FileFailed(
                    f"parse_error: plugin {file.vendor!r} yielded {type(batch).__name__}, "
                    "expected a polars DataFrame"
                )
            yield batch
    except FileFailed:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _hook_error(file.vendor, "parse", exc) from exc


def canonical_batches(
    plugins: Plugins, ctx: FileContext, batch_rows: int
) -> Iterator[pl.DataFrame]:
    """parse -> canonicalize -> contract check -> lineage (file_id, file_seq), per batch."""
    file, spec = ctx.file, ctx.spec
    offset = 0
    for raw in _parsed_batches(plugins, file, batch_rows):
        if raw.height == 0:
            continue
        try:
            canon = plugins.call(
                file.vendor, "pointline_canonicalize", file=file, table=spec.name, frame=raw
            )
        except Exception as exc:  # noqa: BLE001
            raise _hook_error(file.vendor, "canonicalize", exc) from exc
        canon = check_canonical(canon, spec, raw.height, file.vendor)
        yield canon.with_columns(
            file_id=pl.lit(ctx.file_id, pl.Int64),
            file_seq=pl.int_range(offset, offset + raw.height, dtype=pl.Int64),
        )
        offset += raw.height


@attrs.frozen(slots=True)
class Finished:
    """One pass of the core stages over rows of one or more files of one table."""

    good: pl.DataFrame
    bad: pl.DataFrame
    stats: dict[int, FileStats]
    failed: dict[int, str]


def finish(frame: pl.DataFrame, ctx: FileContext) -> Finished:
    """trading_date -> validation -> PIT symbol_id -> split into Silver and quarantine rows.

    ``frame`` may hold many small files' rows (same table and rules): the stages then run
    once for all of them, and statistics come back per ``file_id``. A file whose unflagged
    rows name an undeclared exchange is returned in ``failed`` and its rows are dropped from
    both outputs (the file fails as a whole; nothing of it is written).
    """
    failed = _unknown_exchanges(frame, ctx.timezones)
    if failed:
        frame = frame.filter(~pl.col("file_id").is_in(list(failed)))
    frame = with_trading_date(frame, ctx.timezones)
    frame = apply_rules(frame, ctx.rules)
    frame = frame.with_columns(symbol_id=resolve_symbol_ids(frame, ctx.dim_symbol)).with_columns(
        pl.when(pl.col(REASON).is_null() & pl.col("symbol_id").is_null())
        .then(pl.lit(SYMBOL_NOT_COVERED))
        .otherwise(pl.col(REASON))
        .alias(REASON)
    )
    bad_mask = pl.col(REASON).is_not_null()
    good = frame.filter(~bad_mask).select(ctx.spec.column_names)
    bad = frame.filter(bad_mask)
    stats = _stats(frame, bad, ctx.rules)
    return Finished(good, _quarantine_rows(bad, ctx.quarantine_columns), stats, failed)


def _unknown_exchanges(frame: pl.DataFrame, timezones: Mapping[str, str]) -> dict[int, str]:
    unknown = frame.filter(
        pl.col(REASON).is_null() if REASON in frame.columns else pl.lit(True),
        pl.col("exchange").is_not_null() & ~pl.col("exchange").is_in(list(timezones)),
    )
    if not unknown.height:
        return {}
    per_file = unknown.group_by("file_id").agg(pl.col("exchange").unique().sort())
    return {fid: str(UnknownExchangeInData(names)) for fid, names in per_file.iter_rows()}


def _stats(frame: pl.DataFrame, bad: pl.DataFrame, rules: Sequence[Rule]) -> dict[int, FileStats]:
    ok = pl.col(REASON).is_null()
    warn = [r for r in rules if r.severity == "warn"]
    per_file = frame.group_by("file_id").agg(
        pl.len().alias("_total"),
        (~ok).sum().alias("_bad"),
        pl.col("trading_date").filter(ok).min().alias("_dmin"),
        pl.col("trading_date").filter(ok).max().alias("_dmax"),
        *[r.bad.fill_null(False).sum().alias(f"_w{i}") for i, r in enumerate(warn)],
    )
    stats: dict[int, FileStats] = {}
    for row in per_file.iter_rows(named=True):
        s = FileStats(
            rows_total=row["_total"],
            rows_written=row["_total"] - row["_bad"],
            rows_quarantined=row["_bad"],
            date_min=row["_dmin"],
            date_max=row["_dmax"],
        )
        s.warnings.update({r.name: row[f"_w{i}"] for i, r in enumerate(warn) if row[f"_w{i}"]})
        stats[row["file_id"]] = s
    if bad.height:
        reasons = bad.group_by("file_id", REASON).agg(
            pl.len().alias("n"), pl.col("file_seq").min().alias("first")
        )
        for fid, reason, n, first in reasons.iter_rows():
            stats[fid].reasons[reason] += n
            stats[fid].samples.setdefault(reason, f"first at file_seq {first}")
    return stats


def transform_batches(
    plugins: Plugins, ctx: FileContext, stats: FileStats, batch_rows: int
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """Stream one file: yield (silver_rows, quarantine_rows) per batch, updating ``stats``."""
    for canon in canonical_batches(plugins, ctx, batch_rows):
        done = finish(canon, ctx)
        if done.failed:
            raise FileFailed(done.failed[ctx.file_id])
        stats.merge(done.stats.get(ctx.file_id))
        yield done.good, done.bad


def _detail() -> pl.Expr:
    return (
        pl.when(pl.col(REASON) == SYMBOL_NOT_COVERED)
        .then(
            pl.format(
                "no dim_symbol window for {}:{} at ts_event_us={}",
                pl.col("exchange"),
                pl.col("symbol"),
                pl.col("ts_event_us"),
            )
        )
        .otherwise(pl.lit(None, pl.String))
    )


def _quarantine_rows(bad: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    out = bad.with_columns(pl.col(REASON).alias("reason"), _detail().alias("detail"))
    return out.select(columns)


@functools.cache
def _core_rules(spec: TableSpec) -> tuple[Rule, ...]:
    return tuple(core_rules(spec))


def rules_for(spec: TableSpec, extra: Sequence[Rule]) -> tuple[Rule, ...]:
    """The core rules of ``spec`` (built once per spec) followed by the plugin's."""
    return (*_core_rules(spec), *extra)
