"""Canonicalize: typed DBN frames -> the mapped core table's columns, with polars expressions.

Values stay integers until :func:`fixed`, the one place a DBN integer (a price in 1e-9
units, or a size in whole units) becomes a core column's exact Decimal (through the core's
``fixedpoint.from_int64``). UNDEF_PRICE becomes null, never a number. Times: the
core's µs columns get ``ns // 1000``; the full ns values go to ``ts_event_ns`` and
``ts_local_ns``, so the sub-µs part is kept.

Rows flagged in ``_reject_reason``:

=============================  ========================================================
``no_symbol_mapping``          the file header maps the record's instrument_id to no raw
                               symbol on its date (the symbol holds ``instrument_id:<n>``)
``overflow:<column>``          a value that does not fit the core column
``out_of_range:order_id``      an mbo order id >= 2**63 (the lake's order refs are Int64)
=============================  ========================================================
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pointline_core.errors import CanonicalizeError
from pointline_core.fixedpoint import first_reason, from_int64
from pointline_core.models import BronzeFile
from pointline_core.schemas import EVENT_TABLES, TableSpec
from pointline_databento.formats import UNDEF_PRICE, interval_of

REJECT = "_reject_reason"
DETAIL = "_reject_detail"
#: DBN prices are integers in units of 1e-9.
PRICE_DECIMALS = 9
SIZE_DECIMALS = 0
SNAPSHOT_DEPTH = 10
_SPECS = {spec.name: spec for spec in EVENT_TABLES}

_A, _B, _N = ord("A"), ord("B"), ord("N")


def fixed(values: pl.Expr, decimals: int, spec: TableSpec, column: str) -> pl.Expr:
    """An integer column in units of ``10**-decimals`` as ``spec``'s Decimal ``column``,
    exactly (per element for a list column): :func:`~pointline_core.fixedpoint.from_int64`,
    with a value too large for the column as null (reported as overflow). Never a float."""
    col = spec.column(column)
    target = col.polars_dtype()
    inner = target.inner if isinstance(target, pl.List) else target
    if not isinstance(inner, pl.Decimal):
        raise CanonicalizeError(
            f"core column {column} is {col.dtype}, not an exact Decimal: this plugin maps DBN "
            "prices and sizes to Decimal columns only (plugin API 2.x)"
        )
    if isinstance(target, pl.List):
        return values.list.eval(from_int64(pl.element(), decimals, inner.scale, strict=False))
    return from_int64(values, decimals, inner.scale, strict=False)


def price(name: str) -> pl.Expr:
    """A DBN price field with UNDEF_PRICE as null."""
    px = pl.col(name)
    return pl.when(px == UNDEF_PRICE).then(None).otherwise(px)


def _overflow(source: pl.Expr, out: pl.Expr, column: str) -> pl.Expr:
    return pl.when(source.is_not_null() & out.is_null()).then(pl.lit(f"overflow:{column}"))


def _side(code: pl.Expr, on_b: str, on_a: str) -> pl.Expr:
    return (
        pl.when(code == _B)
        .then(pl.lit(on_b))
        .when(code == _A)
        .then(pl.lit(on_a))
        .otherwise(pl.lit("unknown"))
    )


def _common(exchange: str, has_recv: bool) -> dict[str, pl.Expr]:
    symbol_text = pl.format("instrument_id:{}", pl.col("instrument_id"))
    recv = pl.col("ts_recv") if has_recv else pl.lit(None, pl.Int64)
    return {
        "exchange": pl.lit(exchange),
        "symbol": pl.coalesce(pl.col("symbol"), symbol_text),
        "ts_event_us": pl.col("ts_event") // 1000,
        "ts_local_us": recv // 1000,
        "ts_event_ns": pl.col("ts_event"),
        "ts_local_ns": recv,
    }


def _values(spec: TableSpec, pairs: dict[str, tuple[pl.Expr, int]]) -> tuple[dict, list]:
    """Fixed-point columns and their overflow reasons."""
    out = {name: fixed(src, dec, spec, name) for name, (src, dec) in pairs.items()}
    reasons = [_overflow(src, out[name], name) for name, (src, _dec) in pairs.items()]
    return out, reasons


def _trades(spec: TableSpec, _data_type: str) -> tuple[dict, list]:
    values, reasons = _values(
        spec, {"price": (price("price"), PRICE_DECIMALS), "qty": (pl.col("size"), SIZE_DECIMALS)}
    )
    # DBN's trade side is the aggressor's: B = buyer lifted the offer, A = seller hit the bid.
    cols = {"trade_id": pl.lit(None, pl.String), "side": _side(pl.col("side"), "buy", "sell")}
    return {**cols, **values}, reasons


def _quotes(spec: TableSpec, _data_type: str) -> tuple[dict, list]:
    values, reasons = _values(
        spec,
        {
            "bid_price": (price("bid_px_00"), PRICE_DECIMALS),
            "bid_qty": (pl.col("bid_sz_00"), SIZE_DECIMALS),
            "ask_price": (price("ask_px_00"), PRICE_DECIMALS),
            "ask_qty": (pl.col("ask_sz_00"), SIZE_DECIMALS),
        },
    )
    return {"source": pl.lit("feed"), **values}, reasons


def _order_ref(name: str = "order_id") -> pl.Expr:
    return pl.col(name).cast(pl.Int64, strict=False)


def _l3_ids() -> dict[str, pl.Expr]:
    # biz_index: the record's position in the mbo file, shared by order events and
    # executions, so l3_orders and l3_trades merge back into the feed's exact order.
    return {
        "channel_id": pl.col("channel_id").cast(pl.Int64),
        "channel_seq": pl.col("sequence").cast(pl.Int64),
        "biz_index": pl.col("record"),
    }


_ORDER_KINDS = {ord("A"): "add", ord("C"): "cancel", ord("M"): "modify", ord("R"): "clear"}
_EXEC_KINDS = {ord("T"): "trade", ord("F"): "fill"}


def _kind(kinds: dict[int, str]) -> pl.Expr:
    return pl.col("action").replace_strict(kinds, default=None, return_dtype=pl.String)


def _l3_orders(spec: TableSpec, _data_type: str) -> tuple[dict, list]:
    values, reasons = _values(
        spec, {"price": (price("price"), PRICE_DECIMALS), "qty": (pl.col("size"), SIZE_DECIMALS)}
    )
    is_clear = pl.col("action") == ord("R")
    cols = {
        **_l3_ids(),
        "event_kind": _kind(_ORDER_KINDS),
        "order_ref": _order_ref(),
        "side": _side(pl.col("side"), "buy", "sell"),
        "order_type": pl.when(is_clear).then(pl.lit("unknown")).otherwise(pl.lit("limit")),
    }
    reasons.append(
        pl.when(_order_ref().is_null()).then(pl.lit("out_of_range:order_id")),
    )
    return {**cols, **values}, reasons


def _l3_trades(spec: TableSpec, _data_type: str) -> tuple[dict, list]:
    values, reasons = _values(
        spec, {"price": (price("price"), PRICE_DECIMALS), "qty": (pl.col("size"), SIZE_DECIMALS)}
    )
    side = pl.col("side")
    ref = pl.when(pl.col("order_id") != 0).then(_order_ref())
    is_fill = pl.col("action") == ord("F")
    # trade (T): side is the aggressor's; fill (F): side is the resting order's, so the
    # aggressor is the other side. The order id belongs to the side the record names.
    aggressor = (
        pl.when(is_fill).then(_side(side, "sell", "buy")).otherwise(_side(side, "buy", "sell"))
    )
    cols = {
        **_l3_ids(),
        "event_kind": _kind(_EXEC_KINDS),
        "buy_order_ref": pl.when(side == _B).then(ref),
        "sell_order_ref": pl.when(side == _A).then(ref),
        "aggressor_side": aggressor,
        "notional": pl.lit(None, spec.column("notional").polars_dtype()),
    }
    return {**cols, **values}, reasons


def _book_snapshots(spec: TableSpec, _data_type: str) -> tuple[dict, list]:
    cols: dict[str, pl.Expr] = {"depth": pl.lit(SNAPSHOT_DEPTH, pl.Int16)}
    reasons: list[pl.Expr] = []
    for side in ("bid", "ask"):
        px = [price(f"{side}_px_{i:02d}") for i in range(SNAPSHOT_DEPTH)]
        sz = [pl.col(f"{side}_sz_{i:02d}") for i in range(SNAPSHOT_DEPTH)]
        prices = pl.concat_list(px)
        sizes = pl.concat_list(sz)
        cols[f"{side}_prices"] = fixed(prices, PRICE_DECIMALS, spec, f"{side}_prices")
        cols[f"{side}_qtys"] = fixed(sizes, SIZE_DECIMALS, spec, f"{side}_qtys")
    return cols, reasons


def _bars(spec: TableSpec, data_type: str) -> tuple[dict, list]:
    values, reasons = _values(
        spec,
        {
            **{f: (price(f), PRICE_DECIMALS) for f in ("open", "high", "low", "close")},
            "volume": (pl.col("volume"), SIZE_DECIMALS),
        },
    )
    return {"interval": pl.lit(interval_of(data_type)), **values}, reasons


_BUILDERS: dict[str, Callable[[TableSpec, str], tuple[dict, list]]] = {
    "trades": _trades,
    "quotes": _quotes,
    "l3_orders": _l3_orders,
    "l3_trades": _l3_trades,
    "book_snapshots": _book_snapshots,
    "bars": _bars,
}


def canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (from :func:`pointline_databento.parse.read_batches`) as ``table`` rows."""
    spec = _SPECS.get(table)
    if spec is None or table not in _BUILDERS:
        raise CanonicalizeError(f"{file.rel_path}: databento does not map to table {table!r}")
    exchange = file.meta_dict()["exchange"]
    values, reasons = _BUILDERS[table](spec, file.data_type)
    common = _common(exchange, "ts_recv" in frame.columns)
    no_symbol = pl.when(pl.col("symbol").is_null()).then(pl.lit("no_symbol_mapping"))
    detail = pl.when(pl.col("symbol").is_null()).then(
        pl.format(
            "instrument_id {} has no raw symbol in the file header's mappings on its UTC day "
            "or the next; request the data with stype_in=raw_symbol",
            pl.col("instrument_id"),
        )
    )
    exprs = {**common, **values}
    out = frame.select(
        *(expr.alias(name) for name, expr in exprs.items()),
        first_reason(no_symbol, *reasons).alias(REJECT),
        detail.alias(DETAIL),
    )
    # The optional ns columns are what keeps the sub-µs part: this source always has them.
    return out.select(*spec.vendor_columns(), *spec.optional_columns(), REJECT, DETAIL)
