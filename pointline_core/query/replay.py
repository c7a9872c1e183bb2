"""``query.replay``: several event tables of a selection merged into one event stream.

Order (total, so every run and every engine agree, before and after compaction):

1. the replay clock ``ts_replay_us``: ``clock="local"`` is ``ts_local_us`` (what a
   researcher's recorder could have known), falling back to ``ts_event_us`` for rows whose
   source gives no receive time; ``clock="event"`` is ``ts_event_us``;
2. at the same instant, the table priority :data:`TABLE_PRIORITY`: book changes, then
   trades, then the summaries derived from them (quotes, tickers). A quote stamped at the same
   microsecond as a trade or a book change is their consequence, so a consumer sees the cause
   before the summary; book changes come first because a trade's prints are reported after the
   book move in the same matching event by every venue we ingest;
3. within one table, the table's own tie-break keys (``file_id``, ``file_seq`` and, where the
   table has them, the other clock and channel sequence): one table replays exactly like
   ``query.load`` when its rows carry the chosen clock.

Streaming: the rows are produced in slices of the replay clock. A first pass counts the
selected rows per bucket of ``slice_us`` (default one minute; it reads the clock columns
only); consecutive non-empty buckets are grouped into slices of at most ``slice_rows`` rows
(default 100k; a single bucket holding more is one slice of its own), so memory is bounded by
rows, not by time, and empty stretches (nights, weekends) cost nothing. Each slice of each
table is read with a pushed-down range filter on the clock columns, sorted, and the tables'
slices are k-way merged with ``pl.merge_sorted``; only one slice is in memory at a time, so a
day of a liquid symbol's book updates is never collected whole. The
result is a ``pl.LazyFrame`` backed by that generator (``polars.io.plugins``), so
``sink_parquet``/``sink_csv`` stream it to disk. The pruning relies on files whose clock
ranges are narrow (market data arrives roughly in time order); a file whose rows are spread
over the day is re-scanned per slice, which costs time, never correctness.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

import polars as pl
from polars.io.plugins import register_io_source

from pointline_core.errors import ExchangeNotInTableError, QueryError
from pointline_core.query.decode import Decoded, decode_exprs, decode_mode, decoded_schema
from pointline_core.query.loader import LakeLike, as_lake, filtered_scan
from pointline_core.query.pit import as_tuple
from pointline_core.query.scan import exchanges_held
from pointline_core.query.specs import table_spec
from pointline_core.query.time import TimeLike, TimeWindow, parse_window
from pointline_core.schemas.spec import COMMON_EVENT_COLUMNS, TableSpec
from pointline_core.storage.lake import Lake

if TYPE_CHECKING:
    from pointline_core.plugins import Plugins

Clock = Literal["local", "event"]

#: Tables replayed first at the same instant come first (see the module docstring); tables
#: not named here (plugin tables) follow in alphabetical order.
TABLE_PRIORITY: tuple[str, ...] = (
    "orderbook_updates",
    "book_snapshots",
    "l2_snapshots",
    "l3_orders",
    "l3_trades",
    "trades",
    "liquidations",
    "quotes",
    "derivative_ticker",
    "options_chain",
)
#: The replay clock column every replayed row carries.
CLOCK_COLUMN = "ts_replay_us"
#: The column naming the table a replayed row comes from.
TABLE_COLUMN = "table"
#: Default granularity of the replay slices: one minute of the replay clock.
SLICE_US = 60_000_000
#: Default row budget of one slice (the rows held in memory at once).
SLICE_ROWS = 100_000
_PRIORITY = "_replay_priority"


def clock_expr(clock: Clock) -> pl.Expr:
    """The replay clock of a row: receive time (event time where there is none) or event
    time."""
    if clock == "local":
        return pl.coalesce("ts_local_us", "ts_event_us")
    return pl.col("ts_event_us")


def check_clock(clock: str) -> Clock:
    """``clock`` if it is ``"local"`` or ``"event"``, else :class:`QueryError`."""
    if clock not in ("local", "event"):
        raise QueryError(
            f"clock={clock!r}: use 'local' (receive time, what you could have known) or "
            "'event' (the exchange's timestamp)"
        )
    return clock  # type: ignore[return-value]


def ordered_tables(tables: Sequence[str]) -> list[str]:
    """``tables`` in replay priority order (distinct)."""
    if isinstance(tables, str):
        tables = [t.strip() for t in tables.split(",") if t.strip()]
    names = list(dict.fromkeys(tables))
    if not names:
        raise QueryError("replay needs at least one table, e.g. tables=['trades', 'quotes']")
    rank = {name: i for i, name in enumerate(TABLE_PRIORITY)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def _clock_range(clock: Clock, start: int, end: int) -> pl.Expr:
    """Rows whose replay clock is in ``[start, end)``, written so file statistics prune:
    plain comparisons on the stored columns rather than on the coalesced clock."""
    event = (pl.col("ts_event_us") >= start) & (pl.col("ts_event_us") < end)
    if clock == "event":
        return event
    local = (pl.col("ts_local_us") >= start) & (pl.col("ts_local_us") < end)
    return local | (pl.col("ts_local_us").is_null() & event)


def _within_table_keys(spec: TableSpec, clock: Clock) -> list[str]:
    """The table's tie-break keys after the replay clock (the clock's own column dropped)."""
    own = "ts_local_us" if clock == "local" else "ts_event_us"
    return [k for k in spec.tie_break if k != own]


def _union_schema(specs: list[TableSpec], decoded: Decoded) -> pl.Schema:
    """``table``, the replay clock, the common event columns, then every other column of the
    tables in priority order. A name two tables give different dtypes is refused."""
    per_table = [decoded_schema(spec, decoded) for spec in specs]
    schema: dict[str, pl.DataType] = {TABLE_COLUMN: pl.String(), CLOCK_COLUMN: pl.Int64()}
    schema.update((name, per_table[0][name]) for name in COMMON_EVENT_COLUMNS)
    owner: dict[str, str] = {}
    for spec, table_schema in zip(specs, per_table, strict=True):
        for name, dtype in table_schema.items():
            if name in COMMON_EVENT_COLUMNS:
                continue
            if name in owner and schema[name] != dtype:
                raise QueryError(
                    f"column {name!r} is {schema[name]} in {owner[name]!r} but {dtype} in "
                    f"{spec.name!r}; replay those tables separately"
                )
            owner.setdefault(name, spec.name)
            schema.setdefault(name, dtype)
    return pl.Schema(schema)


class _Replay:
    """The tables' filtered scans and the slicing of the replay clock (one replay call)."""

    def __init__(
        self,
        scans: list[tuple[TableSpec, pl.LazyFrame]],
        clock: Clock,
        decoded: Decoded,
        slice_us: int,
        slice_rows: int,
    ) -> None:
        self.scans = scans
        self.clock = clock
        self.mode = decode_mode(decoded)
        self.slice_us = slice_us
        self.slice_rows = slice_rows
        self.schema = _union_schema([s for s, _ in scans], decoded)

    def buckets(self) -> pl.DataFrame:
        """Rows per ``slice_us`` bucket of the replay clock over all tables (``bucket``,
        ``rows``), sorted: the first pass, reading only the clock columns."""
        bucket = (clock_expr(self.clock) // self.slice_us).alias("bucket")
        counts = [
            lazy.select(bucket).group_by("bucket").agg(rows=pl.len().cast(pl.Int64))
            for _spec, lazy in self.scans
        ]
        return (
            pl.concat(counts).group_by("bucket").agg(pl.col("rows").sum()).sort("bucket")
        ).collect()

    def bounds(self) -> list[tuple[int, int]]:
        """The slices ``[start, end)`` of the replay clock: runs of consecutive buckets of
        at most ``slice_rows`` rows together (a bigger bucket alone)."""
        counts = self.buckets()
        # a new slice starts where adding the bucket would exceed the budget
        spans: list[tuple[int, int]] = []
        total = 0
        for bucket, rows in counts.iter_rows():
            start, end = bucket * self.slice_us, (bucket + 1) * self.slice_us
            if spans and total + rows <= self.slice_rows:
                spans[-1] = (spans[-1][0], end)
                total += rows
            else:
                spans.append((start, end))
                total = rows
        return spans

    def table_slice(
        self, rank: int, spec: TableSpec, lazy: pl.LazyFrame, a: int, b: int
    ) -> pl.LazyFrame:
        """One table's rows with replay clock in ``[a, b)``, sorted, in the union schema."""
        part = (
            lazy.filter(_clock_range(self.clock, a, b))
            .with_columns(clock_expr(self.clock).alias(CLOCK_COLUMN))
            .sort([CLOCK_COLUMN, *_within_table_keys(spec, self.clock)], nulls_last=False)
        )
        if self.mode is not None:
            exprs = decode_exprs(spec, self.mode)
            if exprs:
                part = part.with_columns(exprs)
        present = {*spec.column_names, CLOCK_COLUMN}
        return part.select(
            pl.lit(spec.name, pl.String).alias(TABLE_COLUMN),
            *(
                pl.col(n) if n in present else pl.lit(None, dtype).alias(n)
                for n, dtype in self.schema.items()
                if n != TABLE_COLUMN
            ),
            pl.lit(rank, pl.Int32).alias(_PRIORITY),
        )

    def slices(self) -> Iterator[pl.DataFrame]:
        """The merged stream, one clock slice at a time."""
        for a, b in self.bounds():
            parts = [
                self.table_slice(rank, spec, lazy, a, b)
                for rank, (spec, lazy) in enumerate(self.scans)
            ]
            merged = (
                parts[0]
                if len(parts) == 1
                else pl.merge_sorted(parts, key=[CLOCK_COLUMN, _PRIORITY])
            )
            frame = merged.drop(_PRIORITY).collect()
            if frame.height:
                yield frame

    def source(
        self,
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        _batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        """The ``register_io_source`` callable: projection, filter and row limit applied to
        each slice, stopping early once ``n_rows`` rows were produced."""
        left = n_rows
        for frame in self.slices():
            if predicate is not None:
                frame = frame.filter(predicate)
            if with_columns is not None:
                frame = frame.select(with_columns)
            if left is not None:
                frame = frame.head(left)
                left -= frame.height
            if frame.height:
                yield frame
            if left is not None and left <= 0:
                return


def _table_scan(
    lake: Lake,
    spec: TableSpec,
    exchanges: tuple[str, ...] | None,
    symbols: str | Sequence[str] | None,
    window: TimeWindow,
) -> tuple[pl.LazyFrame, ExchangeNotInTableError | None]:
    """The table's filtered scan, on the asked exchanges the table holds. A table holding
    none of them is replayed empty (trades of an exchange that publishes no quotes), with the
    refusal returned so the caller can raise it when no table holds them."""
    try:
        return filtered_scan(lake, spec, exchange=exchanges, symbol=symbols, window=window), None
    except ExchangeNotInTableError as refusal:
        assert exchanges is not None
        present = exchanges_held(lake, spec, exchanges)
        if not present:
            return spec.empty_frame().lazy(), refusal
        return filtered_scan(lake, spec, exchange=present, symbol=symbols, window=window), None


def replay(
    lake: LakeLike,
    tables: Sequence[str],
    *,
    exchange: str | Sequence[str] | None = None,
    symbols: str | Sequence[str] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    tz: str | dt.tzinfo | None = None,
    clock: Clock = "local",
    decoded: Decoded = False,
    slice_us: int = SLICE_US,
    slice_rows: int = SLICE_ROWS,
    plugins: Plugins | None = None,
) -> pl.LazyFrame:
    """One LazyFrame of the events of ``tables`` for the selection, in replay order.

    The selection (``exchange``, ``symbols``, ``[start, end)`` on ``ts_event_us``, ``tz``) means
    what it means for :func:`~pointline_core.query.load`; ``decoded`` too. Columns: ``table``
    (where the row comes from), ``ts_replay_us`` (the clock the stream is ordered on), the
    common event columns, then the union of the tables' other columns (null where a table has
    no such column). Order: see the module docstring and docs/research.md. ``slice_us`` and
    ``slice_rows`` bound the rows held in memory at once (module docstring).
    """
    clock = check_clock(clock)
    if slice_us <= 0 or slice_rows <= 0:
        raise QueryError(
            f"slice_us={slice_us}, slice_rows={slice_rows}: give positive numbers (µs, rows)"
        )
    lake = as_lake(lake)
    window = parse_window(start, end, tz=tz)
    scans = []
    refusals: list[ExchangeNotInTableError] = []
    for name in ordered_tables(tables):
        spec = table_spec(name, plugins=plugins)
        if spec.kind != "event":
            raise QueryError(
                f"table {name!r} is a {spec.kind} table; replay merges event tables only"
            )
        scan, refused = _table_scan(lake, spec, as_tuple(exchange, "exchange"), symbols, window)
        scans.append((spec, scan))
        refusals.extend([refused] if refused is not None else [])
    if len(refusals) == len(scans):
        raise refusals[0]  # no table holds the exchange: a typo, not an empty stream
    state = _Replay(scans, clock, decoded, slice_us, slice_rows)
    return register_io_source(state.source, schema=state.schema)


__all__ = ["CLOCK_COLUMN", "TABLE_PRIORITY", "clock_expr", "replay"]
