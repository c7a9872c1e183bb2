"""Stages parse -> canonicalize -> trading_date -> validate -> PIT symbol_id -> lineage.

One Bronze file flows through here batch by batch; each parsed batch comes out as a pair of
frames: rows for the Silver table (exact spec columns) and rows for quarantine (with
``reason`` and ``detail``). Nothing is written here.
"""

from __future__ import annotations

import datetime as dt
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

    def add_dates(self, dates: pl.Series) -> None:
        lo, hi = dates.min(), dates.max()
        if lo is not None:
            self.date_min = lo if self.date_min is None else min(self.date_min, lo)
            self.date_max = hi if self.date_max is None else max(self.date_max, hi)


def _hook_error(vendor: str, stage: str, exc: Exception) -> FileFailed:
    if isinstance(exc, ParseError):
        return FileFailed(f"parse_error: plugin {vendor!r}: {exc}")
    return FileFailed(f"{stage}_error: plugin {vendor!r} raised {type(exc).__name__}: {exc}")


def check_canonical(frame: object, spec: TableSpec, rows: int, vendor: str) -> pl.DataFrame:
    """The canonicalize contract: a DataFrame, exact vendor columns and dtypes, same rows."""
    if not isinstance(frame, pl.DataFrame):
        raise FileFailed(
            f"schema_mismatch: plugin {vendor!r} canonicalize returned "
            f"{type(frame).__name__}, expected a polars DataFrame"
        )
    want = spec.vendor_columns()
    have = [c for c in frame.columns if c != REASON]
    missing = [c for c in want if c not in have]
    extra = [c for c in have if c not in want]
    wrong = [
        f"{c}: {frame.schema[c]} (spec {spec.column(c).dtype})"
        for c in want
        if c in frame.schema and frame.schema[c] != spec.column(c).polars_dtype()
    ]
    if REASON in frame.columns and frame.schema[REASON] not in (pl.String, pl.Null):
        wrong.append(f"{REASON}: {frame.schema[REASON]} (must be String)")
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


def transform_batches(
    plugins: Plugins, ctx: FileContext, stats: FileStats, batch_rows: int
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """Yield (silver_rows, quarantine_rows) per parsed batch, updating ``stats``."""
    file, spec = ctx.file, ctx.spec
    for raw in _parsed_batches(plugins, file, batch_rows):
        if raw.height == 0:
            continue
        offset = stats.rows_total
        try:
            canon = plugins.call(
                file.vendor, "pointline_canonicalize", file=file, table=spec.name, frame=raw
            )
        except Exception as exc:  # noqa: BLE001
            raise _hook_error(file.vendor, "canonicalize", exc) from exc
        canon = check_canonical(canon, spec, raw.height, file.vendor)
        stats.rows_total += raw.height
        yield _finish_batch(canon, ctx, stats, offset)


def _finish_batch(
    canon: pl.DataFrame, ctx: FileContext, stats: FileStats, offset: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    spec = ctx.spec
    frame = canon.with_columns(
        file_id=pl.lit(ctx.file_id, pl.Int64),
        file_seq=pl.int_range(offset, offset + canon.height, dtype=pl.Int64),
    )
    try:
        frame = with_trading_date(frame, ctx.timezones)
    except UnknownExchangeInData as exc:
        raise FileFailed(str(exc)) from None
    frame, warnings = apply_rules(frame, ctx.rules)
    stats.warnings.update(warnings)
    symbol_ids = resolve_symbol_ids(frame, ctx.dim_symbol)
    frame = frame.with_columns(symbol_id=symbol_ids).with_columns(
        pl.when(pl.col(REASON).is_null() & pl.col("symbol_id").is_null())
        .then(pl.lit(SYMBOL_NOT_COVERED))
        .otherwise(pl.col(REASON))
        .alias(REASON)
    )
    bad_mask = pl.col(REASON).is_not_null()
    good = frame.filter(~bad_mask).select(spec.column_names)
    bad = frame.filter(bad_mask)
    stats.rows_written += good.height
    stats.rows_quarantined += bad.height
    stats.add_dates(good.get_column("trading_date"))
    if bad.height:
        _count_reasons(bad, stats)
    return good, _quarantine_rows(bad, ctx.quarantine_columns)


def _count_reasons(bad: pl.DataFrame, stats: FileStats) -> None:
    summary = bad.group_by(REASON).agg(pl.len().alias("n"), pl.col("file_seq").min().alias("first"))
    for reason, n, first in summary.iter_rows():
        stats.reasons[reason] += n
        stats.samples.setdefault(reason, f"first at file_seq {first}")


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


def rules_for(spec: TableSpec, extra: Sequence[Rule]) -> tuple[Rule, ...]:
    return (*core_rules(spec), *extra)
