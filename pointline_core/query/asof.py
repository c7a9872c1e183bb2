"""As-of joins without lookahead: each left row gets the right row prevailing at its instant.

Rules (docs/research.md, "As-of joins"):

* **Clock.** Both sides are compared on the same clock: ``"local"`` (receive time, falling
  back to event time where a row has none) or ``"event"`` (see :mod:`~.replay`).
* **No lookahead.** The joined right row's clock is at or before the left row's clock
  (``allow_same_instant=True``) or strictly before it (``False``). Never later.
* **Ties.** Among right rows at the same clock microsecond, the LAST in the right frame's
  order prevails (for a frame from ``query.load``: its replay order, i.e. the other clock,
  then file_id, file_seq): it is the state after all of them.
* **Tolerance.** With ``tolerance`` (µs), a right row older than ``left clock - tolerance``
  is stale: the left row keeps nulls instead.
* **By.** Rows only match within the same ``by`` values; by default ``symbol_id``, so a quote
  of one dim_symbol window never prices a trade of another (a tick-size change or re-listing
  starts afresh).

The right side's columns come back with a prefix (``quote_`` in :func:`trades_with_quotes`),
including its clocks, so every row shows that ``quote_ts_local_us <= ts_local_us``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from pointline_core.errors import ExchangeNotInTableError, QueryError
from pointline_core.query.decode import Decoded
from pointline_core.query.loader import LakeLike, as_lake, load
from pointline_core.query.pit import as_tuple
from pointline_core.query.replay import Clock, check_clock, clock_expr
from pointline_core.query.scan import exchanges_held
from pointline_core.query.time import TimeLike, parse_window
from pointline_core.schemas.tables import QUOTES

_ROW = "_asof_row"
_LEFT_CLOCK = "_asof_left_clock"
_RIGHT_CLOCK = "_asof_right_clock"
#: How far before ``start`` trades_with_quotes looks for the quote prevailing at the first
#: trade when no tolerance is given: one day.
LOOKBACK_US = 86_400_000_000


def asof(
    left: pl.LazyFrame,
    right: pl.LazyFrame,
    *,
    by: str | Sequence[str] = "symbol_id",
    clock: Clock = "local",
    tolerance: int | None = None,
    allow_same_instant: bool = True,
    prefix: str = "right_",
) -> pl.LazyFrame:
    """``left`` in its own row order, each row with the prevailing ``right`` row's columns
    (all but ``by``) under ``prefix``; nulls where none prevails. Both frames carry
    ``ts_event_us`` and ``ts_local_us`` (any event table does). See the module docstring."""
    clock = check_clock(clock)
    keys = [by] if isinstance(by, str) else list(by)
    if tolerance is not None and tolerance < 0:
        raise QueryError(f"tolerance={tolerance}: give microseconds >= 0, or None for no limit")
    if not prefix:
        raise QueryError("prefix must be non-empty: right columns would collide with left ones")
    right_cols = [c for c in right.collect_schema().names() if c not in keys]
    renamed = {c: prefix + c for c in right_cols}
    clash = set(renamed.values()) & set(left.collect_schema().names())
    if clash:
        raise QueryError(f"columns {sorted(clash)} exist on the left; pick another prefix")
    # The last right row per (by, clock) instant is the state after all rows of that instant;
    # keeping only it makes the tie rule independent of how the join resolves equal keys.
    last = (
        right.with_columns(clock_expr(clock).alias(_RIGHT_CLOCK))
        .with_row_index("_asof_right_row")
        .sort([_RIGHT_CLOCK, "_asof_right_row"])
        .unique(subset=[*keys, _RIGHT_CLOCK], keep="last", maintain_order=True)
        .drop("_asof_right_row")
        .rename(renamed)
    )
    ordered = (
        left.with_row_index(_ROW)
        .with_columns(clock_expr(clock).alias(_LEFT_CLOCK))
        .sort([_LEFT_CLOCK, _ROW])
    )
    joined = ordered.join_asof(
        last,
        left_on=_LEFT_CLOCK,
        right_on=_RIGHT_CLOCK,
        by=keys,
        strategy="backward",
        allow_exact_matches=allow_same_instant,
        check_sortedness=False,  # sorted above; polars cannot verify it per `by` group
    )
    stale = pl.lit(False)
    if tolerance is not None:
        stale = (pl.col(_LEFT_CLOCK) - pl.col(_RIGHT_CLOCK)) > tolerance
    joined = joined.with_columns(
        pl.when(stale).then(None).otherwise(pl.col(c)).alias(c) for c in renamed.values()
    )
    return joined.sort(_ROW).drop(_ROW, _LEFT_CLOCK, _RIGHT_CLOCK)


def trades_with_quotes(
    lake: LakeLike,
    *,
    exchange: str | Sequence[str] | None = None,
    symbol: str | Sequence[str] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    tz: str | dt.tzinfo | None = None,
    clock: Clock = "local",
    tolerance: int | None = None,
    allow_same_instant: bool = True,
    decoded: Decoded = False,
    lookback_us: int = LOOKBACK_US,
) -> pl.LazyFrame:
    """The trades of the selection in replay order, each with the quote prevailing at its
    clock (same symbol_id window) as ``quote_*`` columns.

    Quotes are read over ``[start - (tolerance or lookback_us), end)`` on ``ts_event_us``: a
    quote older than that never joins (with no tolerance, ``lookback_us`` -- one day by
    default -- is the limit).
    """
    lake = as_lake(lake)
    window = parse_window(start, end, tz=tz)
    reach = tolerance if tolerance is not None else lookback_us
    quote_start = None if window.start_us is None else window.start_us - reach
    selection = {"exchange": exchange, "symbol": symbol, "decoded": decoded}
    trades = load(lake, "trades", start=window.start_us, end=window.end_us, **selection)
    try:
        quotes = load(lake, "quotes", start=quote_start, end=window.end_us, **selection)
    except ExchangeNotInTableError:
        # An asked exchange that publishes no quotes (its trades exist, or loading them above
        # would have named the typo): its trades keep null quote_ columns, as replay keeps them.
        present = exchanges_held(lake, QUOTES, as_tuple(exchange, "exchange") or ())
        selection["exchange"] = present or None
        quotes = load(lake, "quotes", start=quote_start, end=window.end_us, **selection)
        quotes = quotes.filter(pl.col("exchange").is_in(present))
    return asof(
        trades,
        quotes,
        clock=clock,
        tolerance=tolerance if tolerance is not None else lookback_us,
        allow_same_instant=allow_same_instant,
        prefix="quote_",
    )
