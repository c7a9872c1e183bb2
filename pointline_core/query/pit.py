"""Point-in-time symbol selection through ``dim_symbol``.

``dim_symbol`` holds SCD2 windows ``[valid_from_ts_us, valid_until_ts_us)`` per
(exchange, exchange_symbol), each with its own deterministic ``symbol_id``. Ingestion stamps
every event row with the id of the window that covers its ``ts_event_us`` (one as-of join),
so the mapping symbol -> symbol_id is a function of time:

* asking by ``symbol`` returns the symbol's rows across every window in the time range,
  each row carrying the id valid at its instant (a re-listed symbol or a changed tick size
  shows up as different ids on either side of the boundary);
* asking by ``symbol_id`` returns only the rows of that window: the window's exchange and
  exchange_symbol, ``valid_from <= ts_event_us < valid_until``. The window's bounds also
  narrow the partitions read.

A symbol renamed by its exchange is a new exchange_symbol with its own windows: ask for
both names (``symbol=["OLD", "NEW"]``) to follow it across the rename.

Every stored row carries the id of the window covering it: a symbols import that moves,
splits or ends windows restamps (or quarantines) the rows concerned in the same operation
(:mod:`pointline_core.symbols`). A symbol_id request still selects rows by the window itself
(exchange, exchange_symbol, time span) rather than by the stored id, so that even in the
moment between an interrupted import and the restamp that finishes it no row drops out of
both windows' reads.
Unknown symbols and ids raise :class:`~pointline_core.errors.UnknownSymbolError` with the
nearest known names, so a typo never looks like an empty day.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import attrs
import polars as pl

from pointline_core.errors import QueryError, UnknownSymbolError
from pointline_core.query.time import TimeWindow
from pointline_core.storage.dim_symbol import OPEN_END_US, DimSymbolStore
from pointline_core.storage.lake import Lake


@attrs.frozen(slots=True)
class SymbolSelection:
    """What a symbol / symbol_id request turns into for the scan.

    ``exchanges``: partitions to read (None: all); ``window``: the time window, narrowed to
    the selected windows' span for symbol_id requests; ``filters``: row filters;
    ``windows``: the dim_symbol rows selected (empty frame when no symbol was asked for).
    """

    exchanges: tuple[str, ...] | None
    window: TimeWindow
    filters: tuple[pl.Expr, ...]
    windows: pl.DataFrame = attrs.field(eq=False, repr=False)


def as_tuple(value: str | Sequence[str] | None, name: str) -> tuple[str, ...] | None:
    """One name or several -> a tuple of distinct names in the order given (None stays)."""
    if value is None:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise QueryError(f"{name}={value!r}: give a non-empty name or a list of names")
    return tuple(dict.fromkeys(values))


def as_ids(value: int | Sequence[int] | None) -> tuple[int, ...] | None:
    """One symbol_id or several -> a tuple of distinct ints (None stays)."""
    if value is None:
        return None
    values = (value,) if isinstance(value, int) else tuple(value)
    if not values or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise QueryError(f"symbol_id={value!r}: give an integer id or a list of ids")
    return tuple(dict.fromkeys(int(v) for v in values))


def suggest_names(wanted: str, known: Sequence[str]) -> list[str]:
    """Up to five known names close to ``wanted`` (edit distance, then substring)."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(wanted.lower(), list(by_lower), n=5, cutoff=0.6)
    names = [by_lower[c] for c in close]
    names += [k for k in known if wanted.lower() in k.lower() and k not in names]
    return names[:5]


def _unknown_symbols(
    dim: pl.DataFrame, missing: list[str], exchanges: tuple[str, ...] | None
) -> UnknownSymbolError:
    where = f"on exchange {', '.join(exchanges)}" if exchanges else "on any exchange"
    if dim.height == 0:
        return UnknownSymbolError(
            f"symbol {', '.join(missing)} not found {where}: dim_symbol is empty. Import "
            "symbols first (`pointline symbols import FILE LAKE`)."
        )
    lines = []
    in_scope = dim if exchanges is None else dim.filter(pl.col("exchange").is_in(list(exchanges)))
    known = in_scope["exchange_symbol"].unique().sort().to_list()
    for name in missing:
        elsewhere = (
            dim.filter(pl.col("exchange_symbol") == name)["exchange"].unique().sort().to_list()
        )
        hint = []
        if elsewhere:
            hint.append(f"listed on {', '.join(elsewhere)}")
        close = suggest_names(name, known)
        if close:
            hint.append(f"did you mean {', '.join(close)}?")
        lines.append(f"{name!r}" + (f" ({'; '.join(hint)})" if hint else ""))
    return UnknownSymbolError(
        f"symbol {', '.join(lines)} not found {where}; list symbols with "
        "query.symbols(lake, exchange=..., like=...)"
    )


def select(
    lake: Lake,
    *,
    exchange: str | Sequence[str] | None = None,
    symbol: str | Sequence[str] | None = None,
    symbol_id: int | Sequence[int] | None = None,
    window: TimeWindow | None = None,
) -> SymbolSelection:
    """Turn exchange / symbol / symbol_id arguments into partitions and row filters.

    Raises :class:`UnknownSymbolError` for names or ids dim_symbol does not know, and
    :class:`QueryError` for contradictory arguments (both symbol and symbol_id; a symbol_id
    of another exchange than the one asked for).
    """
    exchanges = as_tuple(exchange, "exchange")
    symbols = as_tuple(symbol, "symbol")
    ids = as_ids(symbol_id)
    window = window or TimeWindow()
    if symbols is not None and ids is not None:
        raise QueryError(
            "give symbol or symbol_id, not both: a symbol_id already names one window of "
            "one exchange symbol"
        )
    if symbols is None and ids is None:
        return SymbolSelection(exchanges, window, (), pl.DataFrame())
    dim = DimSymbolStore(lake).frame()
    if symbols is not None:
        return _by_symbol(dim, exchanges, symbols, window)
    assert ids is not None
    return _by_id(dim, exchanges, ids, window)


def _by_symbol(
    dim: pl.DataFrame,
    exchanges: tuple[str, ...] | None,
    symbols: tuple[str, ...],
    window: TimeWindow,
) -> SymbolSelection:
    scope = dim if exchanges is None else dim.filter(pl.col("exchange").is_in(list(exchanges)))
    windows = scope.filter(pl.col("exchange_symbol").is_in(list(symbols)))
    found = set(windows["exchange_symbol"].to_list())
    missing = [s for s in symbols if s not in found]
    if missing:
        raise _unknown_symbols(dim, missing, exchanges)
    if exchanges is None:
        # Rows exist only where a window let ingestion stamp an id: prune to those exchanges.
        exchanges = tuple(windows["exchange"].unique().sort().to_list())
    filters = (pl.col("symbol").is_in(list(symbols)),)
    return SymbolSelection(exchanges, window, filters, windows)


def _by_id(
    dim: pl.DataFrame,
    exchanges: tuple[str, ...] | None,
    ids: tuple[int, ...],
    window: TimeWindow,
) -> SymbolSelection:
    windows = dim.filter(pl.col("symbol_id").is_in(list(ids)))
    found = set(windows["symbol_id"].to_list())
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownSymbolError(
            f"symbol_id {', '.join(str(i) for i in missing)} not found in dim_symbol; ids "
            "come from query.symbols(lake) or the symbol_id column of a table"
        )
    if exchanges is not None:
        foreign = windows.filter(~pl.col("exchange").is_in(list(exchanges)))
        if foreign.height:
            pairs = ", ".join(
                f"{i} is on {e!r}" for i, e in foreign.select("symbol_id", "exchange").rows()
            )
            raise QueryError(
                f"symbol_id {pairs}, not on exchange {', '.join(exchanges)}; drop the "
                "exchange argument or pick an id of that exchange"
            )
    span_from = int(windows["valid_from_ts_us"].min())
    span_until = int(windows["valid_until_ts_us"].max())
    narrowed = window.intersect(span_from, None if span_until == OPEN_END_US else span_until)
    # A row belongs to a window by the window's definition (exchange, exchange_symbol and
    # valid_from <= ts_event_us < valid_until), not by the id stamped on it: a window split
    # after the row was ingested leaves the older id on it, and the row must not vanish from
    # both windows' reads.
    spans = _spans(windows)
    ts = pl.col("ts_event_us")
    in_span = [
        (pl.col("exchange") == exchange)
        & (pl.col("symbol") == symbol)
        & (ts >= start)
        & (ts < end if end < OPEN_END_US else pl.lit(True))
        for exchange, symbol, start, end in spans.iter_rows()
    ]
    filters = (
        # plain comparisons first: these prune row groups by statistics
        pl.col("exchange").is_in(spans["exchange"].unique().to_list()),
        pl.col("symbol").is_in(spans["exchange_symbol"].unique().to_list()),
        pl.any_horizontal(in_span),
    )
    chosen = tuple(windows["exchange"].unique().sort().to_list())
    return SymbolSelection(chosen, narrowed, filters, windows)


def _spans(windows: pl.DataFrame) -> pl.DataFrame:
    """The selected windows with contiguous ones of a symbol merged: exchange,
    exchange_symbol, start, end (one term per span in the row filter)."""
    key = ["exchange", "exchange_symbol"]
    ordered = windows.select(*key, "valid_from_ts_us", "valid_until_ts_us").sort(
        *key, "valid_from_ts_us"
    )
    gap = pl.col("valid_from_ts_us") != pl.col("valid_until_ts_us").shift(1).over(key)
    return (
        ordered.with_columns(_span=gap.fill_null(True).cast(pl.Int64).cum_sum().over(key))
        .group_by(*key, "_span", maintain_order=True)
        .agg(
            start=pl.col("valid_from_ts_us").first(),
            end=pl.col("valid_until_ts_us").last(),
        )
        .drop("_span")
    )
