"""Quant360 streams -> canonical l3_orders, l3_trades and l2_snapshots columns.

Mapping (vendor-neutral terms; ``meta`` = exchange and symbol from the Bronze path):

=========================  ===========================  ===========================
canonical                  SZSE                         SSE
=========================  ===========================  ===========================
**l3_orders**              ``order_new`` (adds only)    ``order_new`` (adds and cancels)
channel_id                 ChannelNo                    ChannelNo
channel_seq                ApplSeqNum (shared with      OrderIndex (order stream only)
                           the tick stream)
biz_index                  null                         BizIndex (merged order+trade seq)
event_kind                 ``add``                      OrdType A -> ``add``, D -> ``cancel``
order_ref                  ApplSeqNum                   OrderNo
side                       Side 1/2/G/F ->              OrderBSFlag B/S -> buy/sell
                           buy/sell/borrow/lend
order_type                 OrdType 1/2/U ->             ``unknown`` (SSE does not say)
                           market/limit/best_own
price                      Price; null for market and   Price (a cancel repeats it)
                           best-own orders quoted 0
qty                        OrderQty (original size)     Balance (resting size on add,
                                                        removed size on cancel)
ts_event_us / ts_local_us  TransactTime / SendingTime   TransactTime / null
**l3_trades**              ``tick_new``                 ``tick_new``
channel_seq / biz_index    ApplSeqNum / null            TradeIndex / BizIndex
event_kind                 ExecType F -> ``trade``,     ``trade``
                           4 -> ``cancel``
buy/sell_order_ref         Bid/OfferApplSeqNum, 0->null BuyNo / SellNo
aggressor_side             later order ref wins in the  TradeBSFlag B/S/N ->
                           continuous session; auction  buy/sell/unknown
                           and cancels -> unknown
price / notional           Price / Amt; null on cancels TradePrice / TradeAmount
qty                        Qty                          TradeQty
ts_event_us / ts_local_us  TransactTime / SendingTime   TradeTime / null
**l2_snapshots**           ``L2_new``
channel_id / channel_seq   ChannelNo (if any) / MsgSeqNum
trading_phase              TradingPhaseCode, trimmed
prev_close, last_price     PreClosePx, LastPx (0 -> null: no trade yet)
upper/lower_limit          UpperLimitPx / LowerLimitPx
volume / turnover          Volume / Amount
bid/ask prices, qtys       BidPrice/BidOrderQty, OfferPrice/OfferOrderQty arrays; padded
                           with nulls to 10 levels; a 0 element (empty level) -> null
ts_event_us / ts_local_us  QuotTime / SendingTime
=========================  ===========================  ===========================

Timestamps: 17-digit ``YYYYMMDDHHMMSSmmm`` China local time (Asia/Shanghai, UTC+8 without
daylight saving since 1991; earlier stamps are rejected) -> µs UTC, parsed as text by polars,
never through a float. Rows that cannot be made valid keep their place and
get a ``_reject_reason``: ``missing:<col>``, ``bad_timestamp:<col>``, ``not_an_integer:<col>``,
``not_a_number:<col>``, ``overflow:<col>``, ``invalid_value:<col>``,
``symbol_mismatch:SecurityID``, ``level_count_mismatch:<side>``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import polars as pl

from pointline_core.errors import CanonicalizeError
from pointline_core.fixedpoint import encode, encode_list, encode_reason, first_reason
from pointline_core.models import BronzeFile
from pointline_core.schemas.tables import (
    L2_SNAPSHOTS,
    L3_ORDERS,
    L3_TRADES,
    NOTIONAL_SCALE,
    PRICE_SCALE,
    QTY_SCALE,
)

LEVELS = 10
REJECT = "_reject_reason"
SPECS = {s.name: s for s in (L3_ORDERS, L3_TRADES, L2_SNAPSHOTS)}

SZSE_SIDE = {"1": "buy", "2": "sell", "G": "borrow", "F": "lend"}
SZSE_ORD_TYPE = {"1": "market", "2": "limit", "U": "best_own"}
SZSE_EXEC_TYPE = {"F": "trade", "4": "cancel", "70": "trade", "52": "cancel"}
SSE_SIDE = {"B": "buy", "S": "sell"}
SSE_ORD_TYPE = {"A": "add", "D": "cancel"}
SSE_BS_FLAG = {"B": "buy", "S": "sell", "N": "unknown"}

# 17 digits from 1992 on, hour 00-23, minute and second 00-59 (polars alone would roll second
# 60 over). China has kept UTC+8 without daylight saving since September 1991, so a fixed
# offset converts local stamps exactly and ~2x faster than a per-row timezone lookup; an
# earlier stamp (no Quant360 feed is that old) is rejected as bad_timestamp, never misplaced.
_STAMP = r"^(199[2-9]|2\d{3})\d{4}([01]\d|2[0-3])[0-5]\d[0-5]\d\d{3}$"
_UTC_OFFSET_US = 8 * 3_600_000_000
# Continuous-auction windows, local HHMMSSmmm (auction prints have no aggressor).
_CONTINUOUS = ((93000000, 113000000), (130000000, 145700000))


def _text(col: str) -> pl.Expr:
    """A text column as :func:`_finish` reads it: as parsed on the one-query path (where a
    check flags any text stripping would change), stripped and empty -> null otherwise."""
    return pl.col(col)


def _prepared(frame: pl.DataFrame, columns: frozenset[str], symbol: pl.Series) -> pl.LazyFrame:
    """The text ``columns`` stripped, empty -> null, once, before the mapping reads them,
    plus each row's symbol (from its file's name) as a column.

    Why not in each expression: a column is read by its value and by its reason, several
    times; normalising it at every read made each file's query a large expression tree whose
    planning cost ~18 ms a file, more than evaluating a 5,000-row file. Quant360 days are
    hundreds of such files per stream. Only the columns the mapping reads are prepared, in
    two steps (strip, then test the stripped text): ``when(strip != "").then(strip)`` strips
    twice."""
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String and c in columns]
    return (
        frame.lazy()
        .with_columns(pl.col(text).str.strip_chars())
        .with_columns(pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c) for c in text)
        .with_columns(symbol.alias(_SYMBOL))
    )


def timestamp_us(col: str) -> pl.Expr:
    """µs since the epoch (UTC) of a 17-digit Asia/Shanghai ``YYYYMMDDHHMMSSmmm`` column."""
    text = _text(col)
    local = text.str.to_datetime("%Y%m%d%H%M%S%3f", time_unit="us", strict=False)
    parsed = local.dt.epoch("us") - _UTC_OFFSET_US
    # Masking the parsed integers is cheaper than masking the text before parsing.
    return pl.when(text.str.contains(_STAMP)).then(parsed)


def local_hms(col: str) -> pl.Expr:
    """Local time of day as the integer ``HHMMSSmmm`` (e.g. 93000120) of a 17-digit column."""
    return _text(col).str.slice(8, 9).cast(pl.Int64, strict=False)


class _Check(NamedTuple):
    """A rejection reason and a cheap ``flag`` that holds wherever the reason may be set.

    A batch computes its values and the flags in one query; only a batch where a flag holds
    pays for the reasons (string-valued when/then chains and number regexes: about half of
    the mapping's time on a clean file)."""

    flag: pl.Expr
    reason: pl.Expr


def _check(reason: pl.Expr) -> _Check:
    """A reason that is its own flag (already cheap, or rare)."""
    return _Check(reason.is_not_null(), reason)


def _ts_reason(col: str) -> _Check:
    text = _text(col)
    reason = (
        pl.when(text.is_null())
        .then(pl.lit(f"missing:{col}"))
        .when(timestamp_us(col).is_null())
        .then(pl.lit(f"bad_timestamp:{col}"))
    )
    return _Check(timestamp_us(col).is_null(), reason)


def _int(col: str) -> pl.Expr:
    return _text(col).cast(pl.Int64, strict=False)


def _int_reason(col: str, required: bool = True) -> _Check:
    text = _text(col)
    expr = pl.when(text.is_not_null() & _int(col).is_null()).then(pl.lit(f"not_an_integer:{col}"))
    if required:
        expr = expr.when(text.is_null()).then(pl.lit(f"missing:{col}"))
        return _Check(_int(col).is_null(), expr)
    return _Check(_int(col).is_null() & text.is_not_null(), expr)


def _num_reason(col: str, scale: int, required: bool = True) -> _Check:
    reason = encode_reason(_text(col), scale, col)
    invalid = encode(_text(col), scale).is_null()
    if not required:
        return _Check(invalid & _text(col).is_not_null(), reason)
    missing = pl.when(_text(col).is_null()).then(pl.lit(f"missing:{col}"))
    return _Check(invalid, missing.otherwise(reason))


def _code(col: str, mapping: dict[str, str]) -> pl.Expr:
    """The mapped value of a code column, null for a code not in ``mapping``.

    A when-chain, not ``replace_strict``: the latter costs ~0.8 ms a query to set up its
    lookup (0.3 ms for the chain), and a file is a query with several codes; mappings here
    have two to four codes."""
    text = _text(col)
    (code, value), *rest = mapping.items()
    chain = pl.when(text == code).then(pl.lit(value))
    for code, value in rest:
        chain = chain.when(text == code).then(pl.lit(value))
    return chain.otherwise(pl.lit(None, pl.String))


def _code_reason(col: str, mapping: dict[str, str]) -> _Check:
    invalid = _code(col, mapping).is_null()
    return _Check(invalid, pl.when(invalid).then(pl.lit(f"invalid_value:{col}")))


def _nonzero(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr != 0).then(expr).otherwise(pl.lit(None, pl.Int64))


def _symbol_reason() -> _Check:
    # SSE rows repeat the code; it must equal the member name (left-pad numeric codes).
    sec = _text("SecurityID").str.zfill(6)
    mismatch = sec.is_not_null() & (sec != pl.col(_SYMBOL))
    return _Check(mismatch, pl.when(mismatch).then(pl.lit("symbol_mismatch:SecurityID")))


def _with_optional(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return frame
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in missing)


_FLAG = "__quant360_flag"
#: Each row's symbol (the member name of its file): a column, so one query serves many files.
_SYMBOL = "__quant360_symbol"


class _Mapping(NamedTuple):
    """One stream's mapping: built once per (exchange, stream) and reused for every file
    (polars expressions are immutable; building them costs more than a small file's query)."""

    table: str
    #: columns a file may lack (filled with nulls first)
    optional: tuple[str, ...]
    exprs: dict[str, pl.Expr]
    checks: list[_Check]
    #: the raw columns the expressions read
    read: frozenset[str]
    #: the raw columns some check's flag reads
    checked: frozenset[str]

    @classmethod
    def of(
        cls, table: str, optional: tuple[str, ...], exprs: dict[str, pl.Expr], checks: list[_Check]
    ) -> _Mapping:
        every = (*exprs.values(), *(e for c in checks for e in c))
        return cls(table, optional, exprs, checks, _roots(every), _roots(c.flag for c in checks))


def _roots(exprs: Iterable[pl.Expr]) -> frozenset[str]:
    return frozenset(name for e in exprs for name in e.meta.root_names()) - {_SYMBOL}


def _finish(
    frame: pl.DataFrame, mapping: _Mapping, symbol: pl.Series, *, prepare_all: bool = False
) -> pl.DataFrame:
    """The mapped columns and ``_reject_reason``, in one query when no row may be rejected.

    That query reads the checked columns as they came (only unchecked ones are stripped):
    every check's flag holds for padded or blank text, since none of them parses, so a batch
    without flags has nothing to strip there. A flagged batch is mapped again from the
    prepared text, with the reasons (``prepare_all`` forces that path, for tests)."""
    spec = SPECS[mapping.table]
    frame = _with_optional(frame, mapping.optional)
    values = [
        mapping.exprs[c].cast(spec.column(c).polars_dtype()).alias(c) for c in spec.vendor_columns()
    ]
    if not prepare_all:
        flag = pl.any_horizontal([c.flag.fill_null(False) for c in mapping.checks])
        raw = _prepared(frame, mapping.read - mapping.checked, symbol)
        out = raw.select(*values, pl.lit(None, pl.String).alias(REJECT), flag.alias(_FLAG))
        out = out.collect()
        if not out.drop_in_place(_FLAG).any():
            return out
    reason = first_reason(*(c.reason for c in mapping.checks)).cast(pl.String).alias(REJECT)
    return _prepared(frame, mapping.read, symbol).select(*values, reason).collect()


def _common(exchange: str, ts: str, local: str | None) -> dict[str, pl.Expr]:
    return {
        "exchange": pl.lit(exchange, pl.String),
        "symbol": pl.col(_SYMBOL),
        "ts_event_us": timestamp_us(ts),
        "ts_local_us": timestamp_us(local) if local else pl.lit(None, pl.Int64),
    }


# Quant360 writes numbers as binary floats (``1801.0099999999998`` for 1801.01). Prices have
# at most 3 decimals and quantities are whole shares, so rounding at these places (the
# precision the lake held under plugin API 1.x) removes the noise without losing a real
# digit; the result is cast to the spec's exact Decimal(38, scale).
PRICE_PLACES = 9
QTY_PLACES = 8
AMOUNT_PLACES = 4


def _decimal(value: pl.Expr, places: int, scale: int) -> pl.Expr:
    # non-strict: a value too large for the spec's scale is null, reported as overflow:<col>
    return encode(value, places).cast(pl.Decimal(38, scale), strict=False)


def _price(value: pl.Expr) -> pl.Expr:
    return _decimal(value, PRICE_PLACES, PRICE_SCALE)


def _qty(value: pl.Expr) -> pl.Expr:
    return _decimal(value, QTY_PLACES, QTY_SCALE)


def _amount(value: pl.Expr) -> pl.Expr:
    return _decimal(value, AMOUNT_PLACES, NOTIONAL_SCALE)


# -- l3_orders --------------------------------------------------------------------------------


def szse_orders(exchange: str) -> _Mapping:
    optional = ("SendingTime",)
    order_type = _code("OrdType", SZSE_ORD_TYPE)
    price = _price(_text("Price"))
    unpriced = order_type.is_in(["market", "best_own"]) & (price == 0)
    price_dtype = pl.Decimal(38, PRICE_SCALE)
    exprs = {
        **_common(exchange, "TransactTime", "SendingTime"),
        "channel_id": _int("ChannelNo"),
        "channel_seq": _int("ApplSeqNum"),
        "biz_index": pl.lit(None, pl.Int64),
        "event_kind": pl.lit("add", pl.String),
        "order_ref": _int("ApplSeqNum"),
        "side": _code("Side", SZSE_SIDE).fill_null("unknown"),
        "order_type": order_type.fill_null("unknown"),
        "price": pl.when(unpriced).then(pl.lit(None, price_dtype)).otherwise(price),
        "qty": _qty(_text("OrderQty")),
    }
    checks = [
        _ts_reason("TransactTime"),
        _int_reason("ChannelNo"),
        _int_reason("ApplSeqNum"),
        _code_reason("Side", SZSE_SIDE),
        _code_reason("OrdType", SZSE_ORD_TYPE),
        _num_reason("Price", PRICE_SCALE, required=False),
        _num_reason("OrderQty", QTY_SCALE),
    ]
    return _Mapping.of("l3_orders", optional, exprs, checks)


def sse_orders(exchange: str) -> _Mapping:
    optional = ("SecurityID", "OrderIndex", "BizIndex")
    exprs = {
        **_common(exchange, "TransactTime", None),
        "channel_id": _int("ChannelNo"),
        "channel_seq": _int("OrderIndex"),
        "biz_index": _int("BizIndex"),
        "event_kind": _code("OrdType", SSE_ORD_TYPE),
        "order_ref": _int("OrderNo"),
        "side": _code("OrderBSFlag", SSE_SIDE).fill_null("unknown"),
        "order_type": pl.lit("unknown", pl.String),
        "price": _price(_text("Price")),
        "qty": _qty(_text("Balance")),
    }
    checks = [
        _ts_reason("TransactTime"),
        _symbol_reason(),
        _int_reason("ChannelNo"),
        _int_reason("OrderNo"),
        _int_reason("OrderIndex", required=False),
        _int_reason("BizIndex", required=False),
        _code_reason("OrdType", SSE_ORD_TYPE),
        _code_reason("OrderBSFlag", SSE_SIDE),
        _num_reason("Price", PRICE_SCALE, required=False),
        _num_reason("Balance", QTY_SCALE),
    ]
    return _Mapping.of("l3_orders", optional, exprs, checks)


# -- l3_trades --------------------------------------------------------------------------------


def szse_trades(exchange: str) -> _Mapping:
    optional = ("SendingTime", "Amt")
    kind = _code("ExecType", SZSE_EXEC_TYPE)
    is_trade = kind == "trade"
    bid = _nonzero(_int("BidApplSeqNum"))
    offer = _nonzero(_int("OfferApplSeqNum"))
    hms = local_hms("TransactTime")
    continuous = pl.any_horizontal([(hms >= lo) & (hms < hi) for lo, hi in _CONTINUOUS])
    aggressor = (
        pl.when(is_trade & continuous & (bid > offer))
        .then(pl.lit("buy"))
        .when(is_trade & continuous & (offer > bid))
        .then(pl.lit("sell"))
        .otherwise(pl.lit("unknown"))
    )
    exprs = {
        **_common(exchange, "TransactTime", "SendingTime"),
        "channel_id": _int("ChannelNo"),
        "channel_seq": _int("ApplSeqNum"),
        "biz_index": pl.lit(None, pl.Int64),
        "event_kind": kind,
        "buy_order_ref": bid,
        "sell_order_ref": offer,
        "aggressor_side": aggressor,
        "price": pl.when(is_trade).then(_price(_text("Price"))),
        "qty": _qty(_text("Qty")),
        "notional": pl.when(is_trade).then(_amount(_text("Amt"))),
    }
    checks = [
        _ts_reason("TransactTime"),
        _int_reason("ChannelNo"),
        _int_reason("ApplSeqNum"),
        _int_reason("BidApplSeqNum"),
        _int_reason("OfferApplSeqNum"),
        _code_reason("ExecType", SZSE_EXEC_TYPE),
        _num_reason("Price", PRICE_SCALE, required=False),
        _num_reason("Qty", QTY_SCALE),
        _num_reason("Amt", NOTIONAL_SCALE, required=False),
    ]
    return _Mapping.of("l3_trades", optional, exprs, checks)


def sse_trades(exchange: str) -> _Mapping:
    optional = ("SecurityID", "TradeIndex", "BizIndex", "TradeAmount")
    exprs = {
        **_common(exchange, "TradeTime", None),
        "channel_id": _int("ChannelNo"),
        "channel_seq": _int("TradeIndex"),
        "biz_index": _int("BizIndex"),
        "event_kind": pl.lit("trade", pl.String),
        "buy_order_ref": _nonzero(_int("BuyNo")),
        "sell_order_ref": _nonzero(_int("SellNo")),
        "aggressor_side": _code("TradeBSFlag", SSE_BS_FLAG).fill_null("unknown"),
        "price": _price(_text("TradePrice")),
        "qty": _qty(_text("TradeQty")),
        "notional": _amount(_text("TradeAmount")),
    }
    checks = [
        _ts_reason("TradeTime"),
        _symbol_reason(),
        _int_reason("ChannelNo"),
        _int_reason("BuyNo"),
        _int_reason("SellNo"),
        _int_reason("TradeIndex", required=False),
        _int_reason("BizIndex", required=False),
        _code_reason("TradeBSFlag", SSE_BS_FLAG),
        _num_reason("TradePrice", PRICE_SCALE),
        _num_reason("TradeQty", QTY_SCALE),
        _num_reason("TradeAmount", NOTIONAL_SCALE, required=False),
    ]
    return _Mapping.of("l3_trades", optional, exprs, checks)


# -- l2_snapshots -----------------------------------------------------------------------------


def _items(col: str) -> pl.Expr:
    """A ``"[a,b,...]"`` cell as a list of element texts (empty list for ``[]``)."""
    inner = (
        _text(col).str.strip_prefix("[").str.strip_suffix("]").str.strip_chars()
    )  # null stays null
    return (
        pl.when(inner == "")
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(inner.str.split(","))
        .list.eval(pl.element().str.strip_chars())
    )


def _levels(col: str, scale: int, places: int) -> pl.Expr:
    # rounded at ``places`` like the scalar columns (see _decimal)
    rounded = encode_list(_items(col), places).cast(pl.List(pl.Decimal(38, scale)), strict=False)
    encoded = rounded.list.eval(
        pl.when(pl.element() == 0).then(pl.lit(None, pl.Decimal(38, scale))).otherwise(pl.element())
    )
    pad = pl.lit(pl.Series([[None] * LEVELS], dtype=pl.List(pl.Decimal(38, scale))))
    return (
        pl.when(encoded.list.len() < LEVELS)
        .then(pl.concat_list([encoded, pad]).list.head(LEVELS))
        .otherwise(encoded)
    )


def _levels_reason(col: str, scale: int) -> pl.Expr:
    items = _items(col)
    bad = items.list.eval((pl.element() != "") & encode(pl.element(), scale).is_null()).list.any()
    return (
        pl.when(_text(col).is_null())
        .then(pl.lit(f"missing:{col}"))
        .when(~_text(col).str.contains(r"^\[.*\]$"))
        .then(pl.lit(f"not_a_list:{col}"))
        .when(bad)
        .then(pl.lit(f"not_a_number:{col}"))
    )


def szse_snapshots(exchange: str) -> _Mapping:
    optional = (
        "SendingTime",
        "ChannelNo",
        "MsgSeqNum",
        "TradingPhaseCode",
        "PreClosePx",
        "LastPx",
        "UpperLimitPx",
        "LowerLimitPx",
        "Volume",
        "Amount",
    )
    last = _price(_text("LastPx"))
    exprs = {
        **_common(exchange, "QuotTime", "SendingTime"),
        "channel_id": _int("ChannelNo"),
        "channel_seq": _int("MsgSeqNum"),
        "trading_phase": _text("TradingPhaseCode"),
        "prev_close": _price(_text("PreClosePx")),
        "last_price": _nonzero(last),
        "upper_limit": _price(_text("UpperLimitPx")),
        "lower_limit": _price(_text("LowerLimitPx")),
        "volume": _qty(_text("Volume")),
        "turnover": _amount(_text("Amount")),
        "bid_prices": _levels("BidPrice", PRICE_SCALE, PRICE_PLACES),
        "bid_qtys": _levels("BidOrderQty", QTY_SCALE, QTY_PLACES),
        "ask_prices": _levels("OfferPrice", PRICE_SCALE, PRICE_PLACES),
        "ask_qtys": _levels("OfferOrderQty", QTY_SCALE, QTY_PLACES),
    }
    count_mismatch = [
        _check(
            pl.when(_items(p).list.len() != _items(q).list.len()).then(
                pl.lit(f"level_count_mismatch:{side}")
            )
        )
        for side, p, q in (
            ("bid", "BidPrice", "BidOrderQty"),
            ("ask", "OfferPrice", "OfferOrderQty"),
        )
    ]
    checks = [
        _ts_reason("QuotTime"),
        _int_reason("ChannelNo", required=False),
        _int_reason("MsgSeqNum", required=False),
        *(
            _num_reason(c, s, required=False)
            for c, s in (
                ("PreClosePx", PRICE_SCALE),
                ("LastPx", PRICE_SCALE),
                ("UpperLimitPx", PRICE_SCALE),
                ("LowerLimitPx", PRICE_SCALE),
                ("Volume", QTY_SCALE),
                ("Amount", NOTIONAL_SCALE),
            )
        ),
        _check(_levels_reason("BidPrice", PRICE_SCALE)),
        _check(_levels_reason("BidOrderQty", QTY_SCALE)),
        _check(_levels_reason("OfferPrice", PRICE_SCALE)),
        _check(_levels_reason("OfferOrderQty", QTY_SCALE)),
        *count_mismatch,
    ]
    return _Mapping.of("l2_snapshots", optional, exprs, checks)


_DISPATCH = {
    ("szse", "order_new", "l3_orders"): szse_orders,
    ("sse", "order_new", "l3_orders"): sse_orders,
    ("szse", "tick_new", "l3_trades"): szse_trades,
    ("sse", "tick_new", "l3_trades"): sse_trades,
    ("szse", "L2_new", "l2_snapshots"): szse_snapshots,
    ("sse", "L2_new", "l2_snapshots"): szse_snapshots,  # not delivered for SSE; same layout
}


#: The table each stream lands in (the plugin's table mapping).
TABLE_OF_STREAM = {"order_new": "l3_orders", "tick_new": "l3_trades", "L2_new": "l2_snapshots"}


@functools.cache
def mapping_for(exchange: str, data_type: str, table: str) -> _Mapping:
    """The mapping of one stream into ``table`` (built once); CanonicalizeError if none."""
    build = _DISPATCH.get((exchange, data_type, table))
    if build is None:
        raise CanonicalizeError(
            f"quant360: no mapping of {exchange} {data_type} to table {table!r}"
        )
    return build(exchange)


def canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``pointline_canonicalize`` for every Quant360 stream."""
    meta = file.meta_dict()
    try:
        mapping = mapping_for(meta.get("exchange", ""), file.data_type, table)
    except CanonicalizeError as exc:
        raise CanonicalizeError(f"{exc} ({file.rel_path})") from None
    symbol = pl.repeat(meta.get("symbol"), frame.height, dtype=pl.String, eager=True)
    return _finish(frame, mapping, symbol)


def canonicalize_files(
    files: Sequence[BronzeFile], table: str, frames: Sequence[pl.DataFrame]
) -> pl.DataFrame | None:
    """``pointline_canonicalize_files``: batches of many files of one exchange and stream in
    one query (their rows told apart by the symbol column); ``None`` for a mix of streams."""
    keys = {(f.meta_dict().get("exchange", ""), f.data_type) for f in files}
    if len(keys) != 1:
        return None
    ((exchange, data_type),) = keys
    mapping = mapping_for(exchange, data_type, table)
    heights = [frame.height for frame in frames]
    symbols = pl.DataFrame(
        {"s": [f.meta_dict().get("symbol") for f in files], "n": heights},
        schema={"s": pl.String, "n": pl.UInt32},
    ).filter(pl.col("n") > 0)  # an empty batch would explode to one null row
    symbol = symbols.select(pl.col("s").repeat_by("n").explode()).to_series()
    return _finish(pl.concat(frames, how="diagonal"), mapping, symbol)
