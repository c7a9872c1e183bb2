"""Snapshot blocks of ``incremental_book_L2``: which rows reset the book, which cannot apply.

The vendor's rules, per symbol and per daily file (a grouped file interleaves symbols whose
blocks are independent):

* a row with ``is_snapshot=true`` starts a new *snapshot block* when the symbol's previous
  row in the file was not a snapshot row, or was one with another ``timestamp`` (two blocks
  back to back), or when there is no previous row. A block start discards the book;
* an update (``is_snapshot=false``) before the symbol's first snapshot in the file has no
  book to apply to and must be skipped.

:class:`SnapshotFlags` adds both answers to the parsed String batches as the hidden columns
:data:`BOOK_RESET` and :data:`BEFORE_FIRST_SNAPSHOT` (Boolean), which
:mod:`.canonical` maps to ``orderbook_updates.book_reset`` / ``before_first_snapshot``.
Every row stays a row: nothing is dropped, the flags say how to replay it.

The parser streams a file in batches and a block may span two of them, so the flagger keeps,
per symbol, the last row's (is_snapshot, timestamp) and whether a snapshot was seen, and
seeds each batch's first row of a symbol from it: flags do not depend on ``batch_rows``.
All per-row work is polars expressions; the carried state is one tuple per symbol. A batch
of one symbol (the usual per-instrument file) needs no window function or join.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import polars as pl

BOOK_RESET = "__tardis_book_reset"
BEFORE_FIRST_SNAPSHOT = "__tardis_before_first_snapshot"

_ONE, _LAST_SNAP, _LAST_TS, _ANY = "__one", "__last_snap", "__last_ts", "__any"
_SNAP = (pl.col("is_snapshot") == "true").fill_null(False)

#: Carried per symbol between batches: (last row is a snapshot row, its timestamp, a snapshot
#: was seen in this file). The timestamp is as parse read it: an int, or text for a file
#: read as text (it is compared in the next batch's ``timestamp`` dtype).
_State = tuple[bool, int | str | None, bool]


def _flags(
    snap: pl.Expr, prev_snap: pl.Expr, prev_ts: pl.Expr, seen: pl.Expr, by: str | None = None
) -> tuple[pl.Expr, pl.Expr]:
    """(book_reset, before_first_snapshot) from the row's and the previous row's values
    (``by``: per symbol, for batches of several)."""
    ts = pl.col("timestamp")
    reset = snap & (~prev_snap.fill_null(False) | prev_ts.is_null() | (prev_ts != ts))
    seen_here = snap.cum_max().over(by) if by else snap.cum_max()
    before = ~snap & ~seen_here & ~seen
    return reset.fill_null(True).alias(BOOK_RESET), before.alias(BEFORE_FIRST_SNAPSHOT)


_SCALARS = (_ONE, _LAST_SNAP, _LAST_TS, _ANY)


@functools.lru_cache(maxsize=256)
def _one_symbol_exprs(
    last_snap: bool, last_ts: int | str | None, seen: bool, ts_dtype: pl.DataType
) -> tuple[pl.Expr, ...]:
    """The flags of a batch taken as one symbol whose previous row had ``last_snap`` /
    ``last_ts`` (``seen``: a snapshot came before), plus scalar columns: whether the batch
    really was one symbol, and the state to carry. Cached: expressions are immutable, and a
    fresh file (the usual one-batch small file) always asks for the same ones."""
    snap = _SNAP
    symbol, ts = pl.col("symbol"), pl.col("timestamp")
    return (
        *_flags(
            snap,
            snap.shift(1, fill_value=pl.lit(last_snap)),
            ts.shift(1, fill_value=_carried(last_ts, ts_dtype)),
            pl.lit(seen),
        ),
        ((symbol == symbol.first()).all() & (symbol.null_count() == 0)).alias(_ONE),
        snap.last().alias(_LAST_SNAP),
        ts.last().alias(_LAST_TS),
        snap.any().alias(_ANY),
    )


def _carried(last_ts: int | str | None, ts_dtype: pl.DataType) -> pl.Expr:
    """The carried timestamp in this batch's dtype (a file whose later blocks parse read as
    text, after a cell it could not type, carries an int into a String batch)."""
    text = None if last_ts is None else str(last_ts)
    return pl.lit(text, pl.String).cast(ts_dtype, strict=False)


class SnapshotFlags:
    """Stateful flagger for the batches of ONE file, in file order (see module doc)."""

    def __init__(self) -> None:
        self._state: dict[str | None, _State] = {}
        # A file that held several symbols in one batch is grouped: skip the one-symbol try.
        self._grouped = False

    def flag(self, batch: pl.DataFrame) -> pl.DataFrame:
        """``batch`` with the Boolean columns :data:`BOOK_RESET` and
        :data:`BEFORE_FIRST_SNAPSHOT` added (same rows, same order); updates the carried
        per-symbol state."""
        if not batch.height:
            return batch.with_columns(
                pl.lit(None, pl.Boolean).alias(BOOK_RESET),
                pl.lit(None, pl.Boolean).alias(BEFORE_FIRST_SNAPSHOT),
            )
        if self._grouped:
            return self._flag_grouped(batch)
        key = batch["symbol"][0]
        state = self._state.get(key, (False, None, False))
        out = batch.with_columns(_one_symbol_exprs(*state, batch.schema["timestamp"]))
        one, last_snap, last_ts, any_snap = (out.drop_in_place(c)[0] for c in _SCALARS)
        if one:
            self._state[key] = (last_snap, last_ts, state[2] or any_snap)
            return out
        self._grouped = True
        return self._flag_grouped(batch)

    def _flag_grouped(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Several symbols in one batch (a grouped file): the same rules per symbol."""
        by = "symbol"
        ts_dtype = batch.schema["timestamp"]
        carried = [None if v[1] is None else str(v[1]) for v in self._state.values()]
        state = pl.DataFrame(
            {
                by: pl.Series(list(self._state), dtype=pl.String),
                _LAST_SNAP: pl.Series([v[0] for v in self._state.values()], dtype=pl.Boolean),
                _LAST_TS: pl.Series(carried, dtype=pl.String).cast(ts_dtype, strict=False),
                "__seen": pl.Series([v[2] for v in self._state.values()], dtype=pl.Boolean),
            }
        )
        work = batch.with_columns(_SNAP.alias("__snap")).join(
            state, on=by, how="left", maintain_order="left", nulls_equal=True
        )
        first = pl.int_range(pl.len()).over(by) == 0
        own = pl.col("__snap")
        prev_snap = pl.when(first).then(pl.col(_LAST_SNAP)).otherwise(own.shift(1).over(by))
        prev_ts = (
            pl.when(first).then(pl.col(_LAST_TS)).otherwise(pl.col("timestamp").shift(1).over(by))
        )
        seen = pl.col("__seen").fill_null(False)
        out = work.with_columns(*_flags(own, prev_snap, prev_ts, seen, by=by))
        last = out.group_by(by, maintain_order=True).agg(
            own.last(), pl.col("timestamp").last(), (seen.first() | own.any()).alias(_ANY)
        )
        for key, last_snap, last_ts, any_snap in last.iter_rows():
            self._state[key] = (last_snap, last_ts, any_snap)
        return batch.with_columns(out.select(BOOK_RESET, BEFORE_FIRST_SNAPSHOT).get_columns())


def flag_batches(batches: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """The batches of one ``incremental_book_L2`` file with the snapshot flags added."""
    flags = SnapshotFlags()
    for batch in batches:
        yield flags.flag(batch)
