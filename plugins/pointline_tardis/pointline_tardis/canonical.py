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
``not_positive:<col>``      a book-snapshot level price <= 0
``invalid_value:<col>``     a side / option type / ``is_snapshot`` outside the allowed set
``out_of_range:<col>``      an event/arrival time outside 2010..2100 (not microseconds?)
``incomplete_level:<lvl>``  a snapshot level with a price but no amount, or the reverse
``unknown_exchange:exchange``  an exchange id this plugin does not declare
``exchange_mismatch:exchange`` a row whose exchange differs from the file name's exchange
==========================  ==============================================================

The core's validation additionally enforces the table spec (nullability, allowed values,
positive prices); these vendor reasons come first because they say more.
"""

from __future__ import annotations

from typing import Literal

import attrs
import polars as pl

from pointline_core.errors import CanonicalizeError
from pointline_core.fixedpoint import encode, encode_reason, first_reason
from pointline_core.models import BronzeFile
from pointline_core.schemas import EVENT_TABLES, TableSpec
from pointline_tardis.exchanges import exchange_ids
from pointline_tardis.formats import SNAPSHOT_DEPTH, TABLE_MAPPING, level_column

REJECT = "_reject_reason"
#: Plausible microsecond timestamps: 2010-01-01 .. 2100-01-01 UTC. A value outside is almost
#: certainly in another unit (ms, ns) and would land in a wrong partition.
TS_MIN_US = 1_262_304_000_000_000
TS_MAX_US = 4_102_444_800_000_000

Kind = Literal["text", "enum", "bool", "ts", "int", "float", "price", "qty", "const"]

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


def table_spec(table: str) -> TableSpec:
    """The core event table ``table``."""
    try:
        return _SPECS[table]
    except KeyError:
        raise CanonicalizeError(
            f"table {table!r} is not a core event table; tardis maps only to "
            f"{sorted(set(TABLE_MAPPING.values()))}"
        ) from None


# --- expression builders ---------------------------------------------------------------------


def _present(name: str) -> pl.Expr:
    """The cell holds text (parse already turns empty cells into nulls; this also covers "")."""
    return pl.col(name).is_not_null() & (pl.col(name).str.len_bytes() > 0)


def _text(name: str) -> pl.Expr:
    """The cell as text, "" -> null. Cells are taken as written (Tardis pads nothing)."""
    return pl.when(pl.col(name).str.len_bytes() > 0).then(pl.col(name))


def _value(col: Col, spec: TableSpec, columns: set[str]) -> pl.Expr:
    dtype = spec.column(col.target).polars_dtype()
    if col.kind == "const":
        return pl.lit(col.value, pl.String).cast(dtype)
    assert col.source is not None
    if col.source not in columns:
        return pl.lit(None, dtype)
    src = pl.col(col.source)
    if col.kind in ("text", "enum"):
        return _text(col.source)
    if col.kind == "bool":
        return pl.when(src == "true").then(pl.lit(True)).when(src == "false").then(pl.lit(False))
    if col.kind in ("ts", "int"):
        return src.cast(pl.Int64, strict=False)
    if col.kind == "float":
        return src.cast(pl.Float64, strict=False)
    scale = spec.column(col.target).scale
    assert scale is not None, f"{spec.name}.{col.target} is not a fixed-point column"
    return encode(src, scale)


def _flags_and_reasons(
    col: Col, spec: TableSpec, columns: set[str], out: str
) -> list[tuple[pl.Expr, pl.Expr]]:
    """(cheap boolean flag, reason text expression) pairs, in priority order.

    ``out`` names the already computed output column. Flags are evaluated on every batch;
    reasons only on batches where some flag is true.
    """
    if col.kind == "const" or col.source is None or col.source not in columns:
        return []
    src = col.source
    value = pl.col(out)
    present = _present(src)
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    if col.required:
        checks.append((~present, pl.lit(f"missing:{src}")))
    if col.kind in ("price", "qty"):
        scale = spec.column(col.target).scale
        assert scale is not None
        checks.append((present & value.is_null(), encode_reason(pl.col(src), scale, src)))
    elif col.kind in ("ts", "int"):
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
        checks.append(((value < TS_MIN_US) | (value >= TS_MAX_US), pl.lit(f"out_of_range:{src}")))
    return checks


def _level_columns(
    depth: int, columns: set[str]
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
                    exprs.append(pl.lit(None, pl.Int64))
                    present[field] = pl.lit(False)
                    continue
                tmp = f"__tardis_cell__{name}"
                cells[tmp] = encode(pl.col(name), scale)
                exprs.append(pl.col(tmp))
                present[field] = _present(name)
                checks.append(
                    (present[field] & pl.col(tmp).is_null(), encode_reason(name, scale, name))
                )
                if field == "price":
                    checks.append((pl.col(tmp) <= 0, pl.lit(f"not_positive:{name}")))
                else:
                    checks.append((pl.col(tmp) < 0, pl.lit(f"negative:{name}")))
            checks.append(
                (present["price"] != present["amount"], pl.lit(f"incomplete_level:{side}[{level}]"))
            )
        lists[f"{prefix}_prices"] = pl.concat_arr(price_exprs).arr.to_list()
        lists[f"{prefix}_qtys"] = pl.concat_arr(qty_exprs).arr.to_list()
    return cells, lists, checks


def _exchange_checks(file: BronzeFile) -> list[tuple[pl.Expr, pl.Expr]]:
    exchange = pl.col("exchange")
    checks = [
        (
            exchange.is_not_null() & ~exchange.is_in(list(exchange_ids())),
            pl.lit("unknown_exchange:exchange"),
        )
    ]
    expected = file.meta_dict().get("exchange")
    if expected:
        checks.append(
            (
                exchange.is_not_null() & (exchange != expected),
                pl.lit("exchange_mismatch:exchange"),
            )
        )
    return checks


def canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Map one parsed batch of ``file`` to ``table``'s vendor columns plus ``_reject_reason``.

    Same row count and order as ``frame``. Raises :class:`CanonicalizeError` when the data
    type does not map to ``table`` or a column the mapping needs is absent.
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
    spec = table_spec(table)
    not_text = [name for name, dtype in frame.schema.items() if dtype != pl.String]
    if not_text:  # parse yields String columns; accept typed frames too
        frame = frame.with_columns(pl.col(not_text).cast(pl.String))
    columns = set(frame.columns)
    mapping = MAPPINGS[data_type]
    for col in mapping:
        if col.source is not None and col.source not in columns:
            raise CanonicalizeError(
                f"{file.rel_path}: column {col.source!r} (needed for {table}.{col.target}) is "
                f"not in the parsed frame; columns present: {', '.join(frame.columns)}"
            )
    values: dict[str, pl.Expr] = {}
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    cells: dict[str, pl.Expr] = {}
    tmp = {col.target: f"__tardis_out__{col.target}" for col in mapping}
    for col in mapping:
        values[col.target] = _value(col, spec, columns)
    if data_type in SNAPSHOT_DEPTH:
        depth = SNAPSHOT_DEPTH[data_type]
        values["depth"] = pl.lit(depth, pl.Int16)
        cells, level_lists, level_checks = _level_columns(depth, columns)
        values.update(level_lists)
        tmp.update({name: f"__tardis_out__{name}" for name in ("depth", *level_lists)})
    for col in mapping:
        checks.extend(_flags_and_reasons(col, spec, columns, tmp[col.target]))
        if col.target == "exchange":
            checks.extend(_exchange_checks(file))
    if data_type in SNAPSHOT_DEPTH:
        checks.extend(level_checks)

    wanted = spec.vendor_columns()
    missing = [name for name in wanted if name not in values]
    if missing:  # a programming error in MAPPINGS, never data
        raise CanonicalizeError(f"tardis {data_type} mapping lacks columns {missing}")
    if cells:
        frame = frame.with_columns(expr.alias(name) for name, expr in cells.items())
    work = frame.with_columns(values[name].alias(tmp[name]) for name in wanted)
    if checks:
        any_bad = work.select(pl.any_horizontal(flag for flag, _ in checks).fill_null(False).any())
        flagged = bool(any_bad.item())
    else:
        flagged = False
    if flagged:
        # Each reason only counts where its flag is set; first flagged check wins.
        reason = first_reason(*(pl.when(flag.fill_null(False)).then(text) for flag, text in checks))
    else:
        reason = pl.lit(None, pl.String)
    schema = spec.polars_schema(wanted)
    return work.select(
        *(pl.col(tmp[name]).cast(schema[name]).alias(name) for name in wanted),
        reason.cast(pl.String).alias(REJECT),
    )
