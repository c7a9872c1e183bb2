"""Snapshot blocks of ``incremental_book_L2``: which rows reset the book, which cannot apply.

The vendor's rules, per symbol and per daily file (a grouped file interleaves symbols whose
blocks are independent):

* a row with ``is_snapshot=true`` starts a new *snapshot block* when the symbol's previous
  row in the file was not a snapshot row, or was one with another ``timestamp`` (two blocks
  back to back), or when there is no previous row. A block start discards the book;
* an update (``is_snapshot=false``) before the symbol's first snapshot in the file has no
  book to apply to and must be skipped.

:class:`SnapshotFlags` adds both answers to the parsed String batches as the hidden columns
:data:`BOOK_RESET` and :data:`BEFORE_FIRST_SNAPSHOT` (``"true"``/``"false"``), which
:mod:`.canonical` maps to ``orderbook_updates.book_reset`` / ``before_first_snapshot``.
Every row stays a row: nothing is dropped, the flags say how to replay it.

The parser streams a file in batches and a block may span two of them, so the flagger keeps,
per symbol, the last row's (is_snapshot, timestamp) and whether a snapshot was seen, and
seeds each batch's first row of a symbol from it: flags do not depend on ``batch_rows``.
All per-row work is polars expressions; the carried state is one row per symbol.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl

BOOK_RESET = "__tardis_book_reset"
BEFORE_FIRST_SNAPSHOT = "__tardis_before_first_snapshot"

_STATE_SCHEMA = pl.Schema(
    {
        "symbol": pl.String(),
        "__last_snap": pl.Boolean(),
        "__last_ts": pl.String(),
        "__seen": pl.Boolean(),
    }
)


class SnapshotFlags:
    """Stateful flagger for the batches of ONE file, in file order (see module doc)."""

    def __init__(self) -> None:
        self._state = pl.DataFrame(schema=_STATE_SCHEMA)

    def flag(self, batch: pl.DataFrame) -> pl.DataFrame:
        """``batch`` with :data:`BOOK_RESET` and :data:`BEFORE_FIRST_SNAPSHOT` added (same
        rows, same order); updates the carried per-symbol state."""
        snap = pl.col("is_snapshot") == "true"
        by = "symbol"
        work = batch.with_columns(snap.fill_null(False).alias("__snap")).join(
            self._state, on=by, how="left", maintain_order="left", nulls_equal=True
        )
        first = pl.int_range(pl.len()).over(by) == 0
        prev_snap = (
            pl.when(first)
            .then(pl.col("__last_snap"))
            .otherwise(pl.col("__snap").shift(1).over(by))
            .fill_null(False)
        )
        prev_ts = (
            pl.when(first)
            .then(pl.col("__last_ts"))
            .otherwise(pl.col("timestamp").shift(1).over(by))
        )
        reset = pl.col("__snap") & (
            ~prev_snap | prev_ts.is_null() | (prev_ts != pl.col("timestamp"))
        )
        seen_here = pl.col("__snap").cum_sum().over(by) > 0
        before = ~pl.col("__snap") & ~seen_here & ~pl.col("__seen").fill_null(False)
        out = work.with_columns(
            reset.fill_null(True).alias(BOOK_RESET),
            before.alias(BEFORE_FIRST_SNAPSHOT),
        )
        last = out.group_by(by, maintain_order=True).agg(
            pl.col("__snap").last().alias("__last_snap"),
            pl.col("timestamp").last().alias("__last_ts"),
            (pl.col("__seen").fill_null(False).first() | pl.col("__snap").any()).alias("__seen"),
        )
        self._state = (
            pl.concat([self._state.join(last, on=by, how="anti", nulls_equal=True), last])
            .select(_STATE_SCHEMA.names())
            .cast(dict(_STATE_SCHEMA))
        )
        flags = [BOOK_RESET, BEFORE_FIRST_SNAPSHOT]
        return batch.with_columns(
            out.select(pl.col(flags).cast(pl.String).str.to_lowercase()).get_columns()
        )


def flag_batches(batches: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """The batches of one ``incremental_book_L2`` file with the snapshot flags added."""
    flags = SnapshotFlags()
    for batch in batches:
        yield flags.flag(batch)
