"""Per-data-type mapping of parsed Tardis frames (String columns) to canonical table columns.

Columns are taken by header *name*. Each canonical column is declared once in
:data:`MAPPINGS` with the vendor column it comes from and how it is typed; one generic routine
builds the values and, per row, the first reason the row cannot be stored
(``_reject_reason``, null = fine). Reasons name the vendor column as written in the CSV
header so a user can find the cell:

==========================  ==============================================================
``missing:<col>``           empty cell where the format requires a value
``not_a_number:<col>``      text that is not a decimal / integer number
``overflow:<col>``          a number too large for the column's fixed-point encoding
``negative:<col>``          a size / open interest below zero
``invalid_value:<col>``     a side / option type / ``is_snapshot`` outside the allowed set
``out_of_range:<col>``      an event/arrival time outside 2010..2100; ``_reject_detail``
                            gives the value and the likely unit (``milliseconds?`` ...)
``incomplete_level:<lvl>``  a snapshot level with a price but no amount, or the reverse
``incomplete_level:<side>`` a quote / book_ticker / options_chain ``bid`` or ``ask`` side
                            with a price but no amount, or the reverse
``unknown_exchange:exchange``  an exchange id this plugin does not declare
``exchange_mismatch:exchange`` a row whose exchange differs from the file name's exchange
==========================  ==============================================================

The core's validation additionally enforces the table spec (nullability, allowed values,
positive prices); these vendor reasons come first because they say more.

Cost per batch: the expressions are built once per (data type, table, header columns) and
cached, so a batch is one polars query computing the values plus a cheap batch-level flag
(:func:`_quick_flags`: aggregates such as null counts and minima, set whenever an exact check
would reject some row); only a flagged batch runs a second query with the exact checks that
name each row's reason.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Literal

import attrs
import polars as pl

from pointline_core.errors import CanonicalizeError
from pointline_core.fixedpoint import encode, encode_reason, first_reason
from pointline_core.models import BronzeFile
from pointline_core.schemas import EVENT_TABLES, TableSpec
from pointline_tardis.book import BEFORE_FIRST_SNAPSHOT, BOOK_RESET
from pointline_tardis.exchanges import exchange_ids, is_known
from pointline_tardis.formats import SNAPSHOT_DEPTH, TABLE_MAPPING, level_column

REJECT = "_reject_reason"
#: The quarantine ``detail`` of a rejected row (the value and its likely cause), or null.
DETAIL = "_reject_detail"
#: Plausible microsecond timestamps: 2010-01-01 .. 2100-01-01 UTC. A value outside is almost
#: certainly in another unit (ms, ns) and would land in a wrong partition.
TS_MIN_US = 1_262_304_000_000_000
TS_MAX_US = 4_102_444_800_000_000
_TS_RANGE_TEXT = "2010-01-01..2100-01-01"

Kind = Literal["text", "enum", "bool", "ts", "int", "float", "price", "qty", "const", "flag"]

_SPECS: dict[str, TableSpec] = {spec.name: spec for spec in EVENT_TABLES}


@attrs.frozen(slots=True)
class Col:
    """One canonical column: where it comes from and how it is typed and checked."""

    target: str
    source: str | None
    kind: Kind
    required: bool = False
    allowed: tuple[str, ...] | None = None
    value: str | None = None
    range_checked: bool = False


def _common() -> tuple[Col, ...]:
    return (
        Col("exchange", "exchange", "text", required=True),
        Col("symbol", "symbol", "text", required=True),
        Col("ts_event_us", "timestamp", "ts", required=True, range_checked=True),
        Col("ts_local_us", "local_timestamp", "ts", required=True, range_checked=True),
    )


def _trade_like(id_target: str) -> tuple[Col, ...]:
    return (
        *_common(),
        Col(id_target, "id", "text"),
        Col("side", "side", "enum", required=True, allowed=("buy", "sell", "unknown")),
        Col("price", "price", "price", required=True),
        Col("qty", "amount", "qty", required=True),
    )


def _quotes(source: str) -> tuple[Col, ...]:
    return (
        *_common(),
        Col("source", None, "const", value=source),
        Col("bid_price", "bid_price", "price"),
        Col("bid_qty", "bid_amount", "qty"),
        Col("ask_price", "ask_price", "price"),
        Col("ask_qty", "ask_amount", "qty"),
    )


MAPPINGS: dict[str, tuple[Col, ...]] = {
    "trades": _trade_like("trade_id"),
    "liquidations": _trade_like("liquidation_id"),
    "incremental_book_L2": (
        *_common(),
        Col("is_snapshot", "is_snapshot", "bool", required=True, allowed=("true", "false")),
        Col("side", "side", "enum", required=True, allowed=("bid", "ask")),
        Col("price", "price", "price", required=True),
        Col("qty", "amount", "qty", required=True),
        # Computed across a file's batches by book.SnapshotFlags (added in parsing); a frame
        # parsed without it (a direct canonicalize call) gets nulls: "not determined".
        Col("book_reset", BOOK_RESET, "flag"),
        Col("before_first_snapshot", BEFORE_FIRST_SNAPSHOT, "flag"),
    ),
    "quotes": _quotes("book"),
    "book_ticker": _quotes("feed"),
    "derivative_ticker": (
        *_common(),
        Col("funding_ts_us", "funding_timestamp", "int"),
        Col("funding_rate", "funding_rate", "float"),
        Col("predicted_funding_rate", "predicted_funding_rate", "float"),
        Col("open_interest", "open_interest", "qty"),
        Col("last_price", "last_price", "price"),
        Col("index_price", "index_price", "price"),
        Col("mark_price", "mark_price", "price"),
    ),
    "options_chain": (
        *_common(),
        Col("option_type", "type", "enum", required=True, allowed=("call", "put")),
        Col("strike_price", "strike_price", "price", required=True),
        Col("expiration_ts_us", "expiration", "int", required=True),
        Col("open_interest", "open_interest", "qty"),
        Col("last_price", "last_price", "price"),
        Col("bid_price", "bid_price", "price"),
        Col("bid_qty", "bid_amount", "qty"),
        Col("bid_iv", "bid_iv", "float"),
        Col("ask_price", "ask_price", "price"),
        Col("ask_qty", "ask_amount", "qty"),
        Col("ask_iv", "ask_iv", "float"),
        Col("mark_price", "mark_price", "price"),
        Col("mark_iv", "mark_iv", "float"),
        Col("underlying_index", "underlying_index", "text"),
        Col("underlying_price", "underlying_price", "price"),
        *(Col(g, g, "float") for g in ("delta", "gamma", "vega", "theta", "rho")),
    ),
    "book_snapshot_25": (*_common(),),
    "book_snapshot_5": (*_common(),),
}


#: Price/amount pairs that describe one book side: a row with one of the two and not the
#: other is flagged ``incomplete_level:<side>``, as book snapshot levels are. Both empty is a
#: valid empty side.
LEVEL_PAIRS: dict[str, tuple[tuple[str, str, str], ...]] = {
    data_type: (("bid", "bid_price", "bid_amount"), ("ask", "ask_price", "ask_amount"))
    for data_type in ("quotes", "book_ticker", "options_chain")
}


def table_spec(table: str) -> TableSpec:
    """The core event table ``table``."""
    try:
        return _SPECS[table]
    except KeyError:
        raise CanonicalizeError(
            f"table {table!r} is not a core event table; tardis maps only to "
            f"{sorted(set(TABLE_MAPPING.values()))}"
        ) from None


def read_schema(data_type: str, header: tuple[str, ...]) -> dict[str, pl.DataType]:
    """The dtype parse may read each header column as: Int64 for timestamps and integers,
    ``Decimal(38, scale)`` for prices and sizes (book-snapshot levels included), String for
    the rest.

    Why: reading numbers typed in the CSV reader skips building a text column and casting it
    (~0.17 CPU-s per 2M book rows). It is only right because the reader accepts no cell that
    the text path would reject or read differently (a cell it refuses fails the block, which
    parse then reads as text, so the row still gets its per-row reason); the conformance of
    the two paths is tested on every kind of cell (tests/test_typed_read.py).

    A new dict on each call: the work is cached, the callers' copies are their own."""
    return dict(_read_schema(data_type, header))


@functools.lru_cache(maxsize=256)
def _read_schema(data_type: str, header: tuple[str, ...]) -> tuple[tuple[str, pl.DataType], ...]:
    if data_type not in MAPPINGS:
        return tuple((name, pl.String()) for name in header)
    spec = table_spec(TABLE_MAPPING[data_type])
    kinds: dict[str, pl.DataType] = {}
    for col in MAPPINGS[data_type]:
        if col.source is not None and col.kind in ("ts", "int", "price", "qty"):
            kinds[col.source] = spec.column(col.target).polars_dtype()  # Int64 or Decimal
    if data_type in SNAPSHOT_DEPTH:
        for field, target in (("price", "bid_prices"), ("amount", "bid_qtys")):
            dtype = spec.column(target).polars_dtype().inner
            for side in ("asks", "bids"):
                for level in range(SNAPSHOT_DEPTH[data_type]):
                    kinds[level_column(side, level, field)] = dtype
    return tuple((name, kinds.get(name, pl.String())) for name in header)


# --- expression builders ---------------------------------------------------------------------


def _present(name: str, typed: frozenset[str] = frozenset()) -> pl.Expr:
    """The cell holds a value (parse already turns empty cells into nulls; for text this also
    covers ""). A column parse read ``typed`` holds only valid numbers or nulls."""
    if name in typed:
        return pl.col(name).is_not_null()
    return pl.col(name).is_not_null() & (pl.col(name).str.len_bytes() > 0)


def _text(name: str) -> pl.Expr:
    """The cell as text, "" -> null. Cells are taken as written (Tardis pads nothing)."""
    return pl.when(pl.col(name).str.len_bytes() > 0).then(pl.col(name))


def _value(col: Col, spec: TableSpec, columns: set[str], typed: frozenset[str]) -> pl.Expr:
    dtype = spec.column(col.target).polars_dtype()
    if col.kind == "const":
        return pl.lit(col.value, pl.String).cast(dtype)
    assert col.source is not None
    if col.source not in columns:
        return pl.lit(None, dtype)
    src = pl.col(col.source)
    if col.source in typed:  # parse read it as this very dtype (see read_schema)
        return src
    if col.kind in ("text", "enum"):
        return _text(col.source)
    if col.kind == "flag":  # Boolean already (book.SnapshotFlags)
        return src.cast(pl.Boolean)
    if col.kind == "bool":
        return pl.when(src == "true").then(pl.lit(True)).when(src == "false").then(pl.lit(False))
    if col.kind in ("ts", "int"):
        # Stripped as encode() strips decimals: the typed read accepts leading blanks too,
        # and both paths must accept the same cells.
        return src.str.strip_chars().cast(pl.Int64, strict=False)
    if col.kind == "float":
        return src.cast(pl.Float64, strict=False)
    scale = spec.column(col.target).scale
    assert scale is not None, f"{spec.name}.{col.target} is not a fixed-point column"
    return encode(src, scale)


def _flags_and_reasons(
    col: Col, spec: TableSpec, columns: set[str], typed: frozenset[str], out: str
) -> list[tuple[pl.Expr, pl.Expr]]:
    """(boolean flag, reason text expression) pairs, in priority order: the exact checks.

    ``out`` names the already computed output column. They are evaluated only on batches
    where a :func:`_quick_flags` flag is set; the first flagged check names the row's reason.
    """
    if col.kind in ("const", "flag") or col.source is None or col.source not in columns:
        return []
    src = col.source
    value = pl.col(out)
    present = _present(src, typed)
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    if col.required:
        checks.append((~present, pl.lit(f"missing:{src}")))
    # A column parse read typed holds only valid numbers: no not_a_number / overflow check.
    parsed = src in typed
    if col.kind in ("price", "qty") and not parsed:
        scale = spec.column(col.target).scale
        assert scale is not None
        checks.append((present & value.is_null(), encode_reason(pl.col(src), scale, src)))
    elif col.kind in ("ts", "int") and not parsed:
        checks.append((present & value.is_null(), pl.lit(f"not_a_number:{src}")))
    elif col.kind == "float":
        bad = present & (value.is_null() | value.is_nan() | value.is_infinite())
        checks.append((bad, pl.lit(f"not_a_number:{src}")))
    elif col.kind in ("enum", "bool"):
        assert col.allowed is not None
        bad = present & ~pl.col(src).is_in(col.allowed)
        checks.append((bad, pl.lit(f"invalid_value:{src}")))
    if col.kind == "qty":
        checks.append((value < 0, pl.lit(f"negative:{src}")))
    if col.range_checked:
        checks.append((~_in_ts_range(value), pl.lit(f"out_of_range:{src}")))
    return checks


def _in_ts_range(us: pl.Expr) -> pl.Expr:
    return (us >= TS_MIN_US) & (us < TS_MAX_US)


def _iso(us: pl.Expr) -> pl.Expr:
    """``us`` (already in the accepted range) as ISO UTC text."""
    clipped = us.clip(TS_MIN_US, TS_MAX_US - 1)
    return pl.from_epoch(clipped, time_unit="us").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")


def range_detail(value: pl.Expr) -> pl.Expr:
    """Why a timestamp is ``out_of_range``: the value, the accepted range and the unit it
    most likely is in, with the value converted, e.g. ``1709251200000 is outside
    2010-01-01..2100-01-01 in microseconds; milliseconds? (x1000 = 2024-03-01T00:00:00Z)``."""

    def unit(factor: int, divide: bool) -> pl.Expr:
        # The value would be in range in this unit; bounds are exact integers (no overflow).
        if divide:
            return value.is_between(TS_MIN_US * factor, TS_MAX_US * factor, closed="left")
        return value.is_between(TS_MIN_US // factor, TS_MAX_US // factor, closed="left")

    # Scaled only where the unit matched (clipped first, so no row overflows).
    as_ms = value.clip(TS_MIN_US // 1_000, TS_MAX_US // 1_000) * 1_000
    as_s = value.clip(TS_MIN_US // 1_000_000, TS_MAX_US // 1_000_000) * 1_000_000
    as_ns = value // 1_000
    guess = (
        pl.when(unit(1_000, divide=False))
        .then(pl.format("milliseconds? (x1000 = {})", _iso(as_ms)))
        .when(unit(1_000, divide=True))
        .then(pl.format("nanoseconds? (/1000 = {})", _iso(as_ns)))
        .when(unit(1_000_000, divide=False))
        .then(pl.format("seconds? (x1000000 = {})", _iso(as_s)))
        .otherwise(pl.lit("not a time of 2010..2100 in seconds, milliseconds or nanoseconds"))
    )
    return pl.format("{} is outside {} in microseconds; {}", value, pl.lit(_TS_RANGE_TEXT), guess)


def _quick_flags(col: Col, columns: set[str], out: str) -> list[pl.Expr]:
    """Cheap batch-level flags (scalar booleans), true (or null) whenever
    :func:`_flags_and_reasons` would flag some row of the batch, and rarely otherwise: they
    decide whether the batch needs the exact checks at all. They aggregate the computed value
    (null where it could not be made; counts come from validity bitmaps) instead of
    re-testing the text row by row."""
    if col.kind in ("const", "flag") or col.source is None or col.source not in columns:
        return []
    value = pl.col(out)
    flags: list[pl.Expr] = []
    if col.required:  # missing or unparsable
        flags.append(value.null_count() > 0)
    elif col.kind != "text":  # a given cell that did not parse (value non-null => cell non-null)
        flags.append(value.count() != pl.col(col.source).count())
    if col.kind == "float":
        flags.append(~value.is_finite().all())
    elif col.kind == "enum":
        assert col.allowed is not None
        flags.append(~value.is_in(col.allowed).all())
    if col.kind == "qty":
        flags.append(value.min() < 0)
    if col.range_checked:
        flags.append((value.min() < TS_MIN_US) | (value.max() >= TS_MAX_US))
    return flags


def _level_columns(
    depth: int, columns: set[str], typed: frozenset[str]
) -> tuple[dict[str, pl.Expr], dict[str, pl.Expr], list[tuple[pl.Expr, pl.Expr]]]:
    """Book snapshot levels: (encoded cells as temporary columns, list columns built from
    them, per-level checks reading them). Each cell is encoded once."""
    prices = _SPECS["book_snapshots"].column("bid_prices").scale
    qtys = _SPECS["book_snapshots"].column("bid_qtys").scale
    assert prices is not None and qtys is not None
    cells: dict[str, pl.Expr] = {}
    lists: dict[str, pl.Expr] = {}
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    for side, prefix in (("asks", "ask"), ("bids", "bid")):
        price_exprs: list[pl.Expr] = []
        qty_exprs: list[pl.Expr] = []
        for level in range(depth):
            present: dict[str, pl.Expr] = {}
            for field, scale, exprs in (
                ("price", prices, price_exprs),
                ("amount", qtys, qty_exprs),
            ):
                name = level_column(side, level, field)
                if name not in columns:
                    exprs.append(pl.lit(None, pl.Decimal(38, scale)))
                    present[field] = pl.lit(False)
                    continue
                tmp = f"__tardis_cell__{name}"
                cells[tmp] = pl.col(name) if name in typed else encode(pl.col(name), scale)
                exprs.append(pl.col(tmp))
                present[field] = _present(name, typed)
                if name not in typed:
                    checks.append(
                        (present[field] & pl.col(tmp).is_null(), encode_reason(name, scale, name))
                    )
                if field == "amount":  # a price's sign is the core's (spreads may be < 0)
                    checks.append((pl.col(tmp) < 0, pl.lit(f"negative:{name}")))
            checks.append(
                (present["price"] != present["amount"], pl.lit(f"incomplete_level:{side}[{level}]"))
            )
        lists[f"{prefix}_prices"] = pl.concat_arr(price_exprs).arr.to_list()
        lists[f"{prefix}_qtys"] = pl.concat_arr(qty_exprs).arr.to_list()
    return cells, lists, checks


def _level_quick_flags(depth: int, columns: set[str], out: dict[str, str]) -> list[pl.Expr]:
    """Batch-level flags for the snapshot level checks, read from the built lists (``out``
    maps ``ask_prices`` ... to their temporary names): a given cell that did not encode, a
    size < 0, a level with a price but no size or the reverse. (Level prices <= 0 are the
    core's rule: spreads and combos may have them.)"""
    flags: list[pl.Expr] = []
    for side, prefix in (("asks", "ask"), ("bids", "bid")):
        prices = pl.col(out[f"{prefix}_prices"]).explode()
        qtys = pl.col(out[f"{prefix}_qtys"]).explode()
        for field, values in (("price", prices), ("amount", qtys)):
            given = [
                pl.col(name).count()
                for name in (level_column(side, level, field) for level in range(depth))
                if name in columns
            ]
            flags.append(values.count() != (pl.sum_horizontal(given) if given else 0))
        flags.append(qtys.min() < 0)
        flags.append((prices.is_null() != qtys.is_null()).any())
    return flags


def _exchange_checks() -> list[tuple[pl.Expr, pl.Expr]]:
    exchange = pl.col("exchange")
    return [
        (
            exchange.is_not_null() & ~exchange.is_in(list(exchange_ids())),
            pl.lit("unknown_exchange:exchange"),
        )
    ]


def _mismatch_check(expected: str) -> tuple[pl.Expr, pl.Expr]:
    """The per-file check: the row's exchange equals the one the file name states."""
    exchange = pl.col("exchange")
    return (exchange.is_not_null() & (exchange != expected), pl.lit("exchange_mismatch:exchange"))


@attrs.frozen(slots=True, eq=False)
class _Plan:
    """Everything :func:`canonicalize` needs for one (data type, table, header columns).

    Built once per distinct header by :func:`_plan` (polars expressions are immutable, so one
    plan serves every batch of every file with that header): many small files then cost one
    query each instead of hundreds of Python-level expression constructions.
    """

    #: (CSV column, canonical target) pairs the mapping needs but the header lacks.
    absent: tuple[tuple[str, str], ...]
    #: Encoded book-snapshot cells (temporary columns), computed before ``values``.
    cells: tuple[pl.Expr, ...]
    #: Every canonical value under a temporary name.
    values: tuple[pl.Expr, ...]
    #: The final columns: temporary values cast to the spec's dtypes, named as the spec.
    output: tuple[pl.Expr, ...]
    #: (flag, reason) checks in priority order; the file's exchange check goes at ``split``.
    checks: tuple[tuple[pl.Expr, pl.Expr], ...]
    split: int
    #: Cheap batch-level flags covering ``checks`` except the exchange ones
    #: (see :func:`_quick_flags`).
    quick: tuple[pl.Expr, ...]
    #: The quarantine detail per row, from its reason (computed with the reasons).
    detail: pl.Expr


_FLAG = "__tardis_flag__"
# Plans are cached per distinct header: a day of Tardis files has a handful of headers (one
# per data type, a few more for truncated book snapshots); the bounds only guard against a
# pathological variety. _verdict adds the exchange the file name states.


@functools.lru_cache(maxsize=256)
def _plan(
    data_type: str, table: str, columns: frozenset[str], typed: frozenset[str] = frozenset()
) -> _Plan:
    """``typed``: the columns parse read as their :func:`read_schema` dtype (the rest are
    String)."""
    spec = table_spec(table)
    mapping = MAPPINGS[data_type]
    absent = tuple(
        (col.source, col.target)
        for col in mapping
        if col.source is not None and col.source not in columns and col.kind != "flag"
    )
    values: dict[str, pl.Expr] = {}
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    cells: dict[str, pl.Expr] = {}
    tmp = {col.target: f"__tardis_out__{col.target}" for col in mapping}
    for col in mapping:
        values[col.target] = _value(col, spec, columns, typed)
    level_checks: list[tuple[pl.Expr, pl.Expr]] = []
    if data_type in SNAPSHOT_DEPTH:
        depth = SNAPSHOT_DEPTH[data_type]
        values["depth"] = pl.lit(depth, pl.Int16)
        cells, level_lists, level_checks = _level_columns(depth, columns, typed)
        values.update(level_lists)
        tmp.update({name: f"__tardis_out__{name}" for name in ("depth", *level_lists)})
    split = 0
    quick: list[pl.Expr] = []
    detail: pl.Expr = pl.lit(None, pl.String)
    for col in reversed(mapping):
        if col.range_checked and col.source in columns:
            detail = (
                pl.when(pl.col(REJECT) == f"out_of_range:{col.source}")
                .then(range_detail(pl.col(tmp[col.target])))
                .otherwise(detail)
            )
    for col in mapping:
        checks.extend(_flags_and_reasons(col, spec, columns, typed, tmp[col.target]))
        quick.extend(_quick_flags(col, columns, tmp[col.target]))
        if col.target == "exchange":
            checks.extend(_exchange_checks())
            split = len(checks)
    checks.extend(level_checks)
    targets = {col.source: col.target for col in mapping}
    for side, price, amount in LEVEL_PAIRS.get(data_type, ()):
        if price in columns and amount in columns:
            pair = _present(price, typed) != _present(amount, typed)
            checks.append((pair, pl.lit(f"incomplete_level:{side}")))
            out_p, out_q = pl.col(tmp[targets[price]]), pl.col(tmp[targets[amount]])
            quick.append((out_p.is_null() != out_q.is_null()).any())
    if data_type in SNAPSHOT_DEPTH:
        quick.extend(_level_quick_flags(SNAPSHOT_DEPTH[data_type], columns, tmp))

    wanted = spec.vendor_columns()
    missing = [name for name in wanted if name not in values]
    if missing:  # a programming error in MAPPINGS, never data
        raise CanonicalizeError(f"tardis {data_type} mapping lacks columns {missing}")
    schema = spec.polars_schema(wanted)
    return _Plan(
        absent=absent,
        cells=tuple(expr.alias(name) for name, expr in cells.items()),
        values=tuple(values[name].alias(tmp[name]) for name in wanted),
        output=tuple(pl.col(tmp[name]).cast(schema[name]).alias(name) for name in wanted),
        checks=tuple(checks),
        split=split,
        quick=tuple(quick),
        detail=detail.cast(pl.String),
    )


@functools.lru_cache(maxsize=1024)
def _verdict(
    data_type: str,
    table: str,
    columns: frozenset[str],
    expected: str | None,
    typed: frozenset[str] = frozenset(),
) -> tuple[pl.Expr, pl.Expr]:
    """(a cheap batch-level flag, true when some check may flag a row; the first flagged
    check's reason per row) for one header and the exchange the file name states (``None``:
    no per-file check)."""
    plan = _plan(data_type, table, columns, typed)
    checks = list(plan.checks)
    exchange = pl.col("exchange")
    quick = list(plan.quick)
    if expected:
        checks.insert(plan.split, _mismatch_check(expected))
    if expected and is_known(expected):
        quick.append((exchange != expected).any())  # also rules out unknown ids
    else:
        quick.extend(flag.any() for flag, _ in _exchange_checks())
        if expected:
            quick.append(_mismatch_check(expected)[0].any())
    flag = pl.any_horizontal(quick).fill_null(False)
    # Each reason only counts where its flag is set; first flagged check wins.
    reason = first_reason(*(pl.when(flag.fill_null(False)).then(text) for flag, text in checks))
    return flag, reason.cast(pl.String)


def canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Map one parsed batch of ``file`` to ``table``'s vendor columns plus ``_reject_reason``
    and ``_reject_detail``.

    Same row count and order as ``frame``. Raises :class:`CanonicalizeError` when the data
    type does not map to ``table`` or a column the mapping needs is absent.

    One query per batch computes the values and whether any row may be rejected; only such
    a batch pays a second query for the reasons.
    """
    data_type = file.data_type
    if data_type not in MAPPINGS:
        raise CanonicalizeError(
            f"{file.rel_path}: unknown tardis data type {data_type!r}; known: {', '.join(MAPPINGS)}"
        )
    if TABLE_MAPPING[data_type] != table:
        raise CanonicalizeError(
            f"{file.rel_path}: tardis {data_type} maps to table {TABLE_MAPPING[data_type]!r}, "
            f"not {table!r}"
        )
    readable = read_schema(data_type, tuple(frame.columns))
    typed = frozenset(
        name
        for name, dtype in frame.schema.items()
        if dtype != pl.String and readable.get(name) == dtype
    )
    not_text = [
        name
        for name, dtype in frame.schema.items()
        if dtype != pl.String
        and name not in typed
        and name not in (BOOK_RESET, BEFORE_FIRST_SNAPSHOT)
    ]
    if not_text:  # other dtypes are taken as their text, checked like the vendor's
        frame = frame.with_columns(pl.col(not_text).cast(pl.String))
    columns = frozenset(frame.columns)
    plan = _plan(data_type, table, columns, typed)
    if plan.absent:
        source, target = plan.absent[0]
        raise CanonicalizeError(
            f"{file.rel_path}: column {source!r} (needed for {table}.{target}) is "
            f"not in the parsed frame; columns present: {', '.join(frame.columns)}"
        )
    flag, reason = _verdict(data_type, table, columns, file.meta_dict().get("exchange"), typed)
    work = frame.lazy()
    if plan.cells:
        work = work.with_columns(plan.cells)
    work = work.with_columns(plan.values)
    out = work.select(
        *plan.output,
        pl.lit(None, pl.String).alias(REJECT),
        pl.lit(None, pl.String).alias(DETAIL),
        flag.alias(_FLAG),
    )
    result = out.collect()
    if result.drop_in_place(_FLAG).any():
        flagged = (
            work.with_columns(reason.alias(REJECT))
            .select(REJECT, plan.detail.alias(DETAIL))
            .collect()
        )
        for name in (REJECT, DETAIL):
            result.replace_column(result.get_column_index(name), flagged.get_column(name))
    return result


def canonicalize_files(
    files: Sequence[BronzeFile], table: str, frames: Sequence[pl.DataFrame]
) -> pl.DataFrame:
    """``pointline_canonicalize_files``: :func:`canonicalize` once per run of consecutive
    batches that share a data type, a header (names and dtypes) and the exchange their file
    names state, instead of once per batch. A day's small files sort by exchange and data
    type, so a unit of thousands of them is a handful of queries."""

    def key(i: int) -> tuple[object, ...]:
        file, frame = files[i], frames[i]
        return (file.data_type, tuple(frame.schema.items()), file.meta_dict().get("exchange"))

    outs = []
    for _, run in itertools.groupby(range(len(frames)), key=key):
        at = list(run)
        rows = frames[at[0]] if len(at) == 1 else pl.concat([frames[i] for i in at])
        outs.append(canonicalize(files[at[0]], table, rows))
    return pl.concat(outs) if len(outs) > 1 else outs[0]
