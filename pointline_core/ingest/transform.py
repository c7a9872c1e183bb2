"""The core's per-row stages, assembled: parse -> canonicalize -> lineage, then
trading_date -> validate -> PIT symbol_id -> split into Silver and quarantine rows.

Each stage lives in its own module; this one strings them together and keeps the per-file
statistics. Nothing is written here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence

import attrs
import polars as pl

from pointline_core.ingest.calendar import (
    NO_TRADING_DATE,
    no_trading_date_detail,
    unknown_exchanges,
    with_trading_date,
)
from pointline_core.ingest.canonicalize import canonicalize, completed
from pointline_core.ingest.failure import FileFailed
from pointline_core.ingest.lineage import with_lineage
from pointline_core.ingest.parse import parsed_batches
from pointline_core.ingest.pit import mark_not_covered, not_covered_detail, resolve_ids
from pointline_core.ingest.prefetch import prefetch
from pointline_core.ingest.validate import DETAIL, REASON, apply_rules, needs_asset_class
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins
from pointline_core.schemas.spec import TableSpec
from pointline_core.validation_rules import Rule


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


@attrs.frozen(slots=True)
class FileContext:
    """Everything the stages need for one file, resolved once."""

    file: BronzeFile
    spec: TableSpec
    file_id: int
    timezones: Mapping[str, str]
    dim_symbol: pl.DataFrame = attrs.field(eq=False)
    rules: tuple[Rule, ...] = attrs.field(eq=False)
    quarantine_columns: tuple[str, ...]
    #: exchange -> ExchangeInfo.trading_day_roll, for exchanges that declare one
    day_rolls: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(slots=True)
class Finished:
    """One pass of the row stages over rows of one or more files of one table."""

    good: pl.DataFrame
    bad: pl.DataFrame
    stats: dict[int, FileStats]
    failed: dict[int, str]


def checked_batches(
    plugins: Plugins, ctx: FileContext, batch_rows: int
) -> Iterator[tuple[pl.DataFrame, int]]:
    """parse -> canonicalize (checked), one batch at a time, with the batch's offset in the
    file (rows before it) for lineage."""
    for raw, offset in numbered_batches(plugins, ctx.file, batch_rows):
        yield canonicalize(plugins, ctx.file, ctx.spec, raw), offset


def numbered_batches(
    plugins: Plugins, file: BronzeFile, batch_rows: int
) -> Iterator[tuple[pl.DataFrame, int]]:
    """The plugin's non-empty raw batches, each with its offset in the file (rows before
    it, for lineage)."""
    return numbered(parsed_batches(plugins, file, batch_rows))


def numbered(batches: Iterable[pl.DataFrame]) -> Iterator[tuple[pl.DataFrame, int]]:
    """One file's non-empty batches, in order, each with its offset in the file."""
    offset = 0
    for raw in batches:
        if raw.height == 0:
            continue
        yield raw, offset
        offset += raw.height


def canonical_batches(
    plugins: Plugins, ctx: FileContext, batch_rows: int
) -> Iterator[pl.DataFrame]:
    """parse -> canonicalize (checked) -> lineage, one batch at a time."""
    for canon, offset in checked_batches(plugins, ctx, batch_rows):
        yield with_lineage(canon, ctx.file_id, offset)


def finish(frame: pl.DataFrame, ctx: FileContext) -> Finished:
    """trading_date -> validation -> PIT symbol_id -> split into Silver and quarantine rows.

    ``frame`` may hold many small files' rows (same table and rules): the stages then run
    once for all of them, and statistics come back per ``file_id``. A file whose unflagged
    rows name an undeclared exchange is returned in ``failed`` and its rows are dropped from
    both outputs (the file fails as a whole; nothing of it is written).
    """
    frame = completed(frame, ctx.spec)
    failed = unknown_exchanges(frame, ctx.timezones)
    if failed:
        frame = frame.filter(~pl.col("file_id").is_in(list(failed)))
    frame = with_trading_date(frame, ctx.timezones, ctx.day_rolls)
    # symbol_id first (the instrument class may waive a rule), its reason after the rules'.
    frame = resolve_ids(frame, ctx.dim_symbol, asset_class=needs_asset_class(ctx.spec, frame))
    frame = apply_rules(frame, ctx.rules)
    frame = mark_not_covered(frame)
    if frame.get_column(REASON).null_count() == frame.height:
        # the common case, a clean batch: no row to move (two filters would copy it twice)
        good, bad = frame.select(ctx.spec.column_names), frame.clear()
    else:
        bad_mask = pl.col(REASON).is_not_null()
        good = frame.filter(~bad_mask).select(ctx.spec.column_names)
        bad = frame.filter(bad_mask)
    stats = _stats(frame, bad, ctx.rules)
    return Finished(good, _quarantine_rows(bad, ctx.quarantine_columns), stats, failed)


def transform_batches(
    plugins: Plugins, ctx: FileContext, stats: FileStats, batch_rows: int
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """Stream one file: yield (silver_rows, quarantine_rows) per batch, updating ``stats``.

    The plugin's parse and canonicalize run one batch ahead on a background thread.
    """
    for canon in prefetch(canonical_batches(plugins, ctx, batch_rows)):
        done = finish(canon, ctx)
        if done.failed:
            raise FileFailed(done.failed[ctx.file_id])
        stats.merge(done.stats.get(ctx.file_id))
        yield done.good, done.bad


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


def _quarantine_rows(bad: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """``reason`` and ``detail``: the plugin's detail (``_reject_detail``) where it gave one,
    else the core's for its own reasons (uncovered symbol, no storable trading_date)."""
    plugin = [pl.col(DETAIL).cast(pl.String)] if DETAIL in bad.columns else []
    core = (
        pl.when(pl.col(REASON) == NO_TRADING_DATE)
        .then(no_trading_date_detail())
        .otherwise(not_covered_detail())
    )
    out = bad.with_columns(
        pl.col(REASON).alias("reason"), pl.coalesce([*plugin, core]).alias("detail")
    )
    return out.select(columns)
