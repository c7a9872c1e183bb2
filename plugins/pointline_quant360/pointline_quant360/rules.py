"""Exchange-rule validations for SSE/SZSE data (contributed through
``pointline_validation_rules``; the core knows none of these rules).

Each rule's expression is true for a bad row of the canonical frame. Most are ``warn``: they
describe what the exchange rules say should hold and are counted in the validation log; a
few are ``reject`` because the row cannot be used at all.

==================================  ========  ================================================
rule                                severity  bad when
==================================  ========  ================================================
``quant360.qty_not_integral``       reject    a quantity is not a whole number of units
``quant360.trade_price_not_positive`` reject  a trade without a positive price
``quant360.cancel_ref``             reject    an SZSE cancel naming not exactly one order
``quant360.price_off_tick``         warn      price not a multiple of the tick (0.01 CNY for
                                              shares, 0.001 for funds and convertible bonds)
``quant360.buy_not_round_lot``      warn      an SZSE share/fund buy order not in 100-lots
                                              (SSE order rows carry the resting remainder,
                                              which may be an odd lot, so SSE is not checked)
``quant360.outside_session``        warn      an order/trade event outside 09:15-11:30 and
                                              13:00-15:30 local time
``quant360.cancel_in_no_cancel_window`` warn  a cancel at 09:20-09:25 or 14:57-15:00 local
``quant360.trade_in_closing_call``  warn      a trade at 14:57:00-14:59:59.999 local
``quant360.trade_refs``             warn      an SZSE trade not naming both orders
``quant360.notional_mismatch``      warn      trade notional differs from price x qty by more
                                              than 0.01 CNY
``quant360.last_outside_limits``    warn      snapshot last price outside the day's limits
``quant360.crossed_book``           warn      continuous-phase snapshot with bid1 >= ask1
==================================  ========  ================================================

Local time is UTC+8 (Asia/Shanghai has had no daylight saving time since 1991).
"""

from __future__ import annotations

import polars as pl

from pointline_core.models import BronzeFile
from pointline_core.schemas.tables import PRICE_SCALE, QTY_SCALE
from pointline_core.validation_rules import Rule
from pointline_quant360.naming import instrument_kind

_DAY_US = 86_400_000_000
_UTC_OFFSET_US = 8 * 3_600_000_000
# Prices and quantities are exact decimals: remainders are exact Decimal arithmetic. The
# literals are cast from text: a Python Decimal literal makes polars import numpy (~55 ms in
# every ingest run and worker that loads this plugin).
_ONE_UNIT = pl.lit("1").cast(pl.Decimal(38, QTY_SCALE))
_ROUND_LOT = pl.lit("100").cast(pl.Decimal(38, QTY_SCALE))


def _hms(h: int, m: int, s: int = 0, ms: int = 0) -> int:
    return ((h * 60 + m) * 60 + s) * 1_000_000 + ms * 1000


def local_time_us() -> pl.Expr:
    """Microseconds since local (UTC+8) midnight of ``ts_event_us``."""
    return (pl.col("ts_event_us") + _UTC_OFFSET_US) % _DAY_US


def _between(expr: pl.Expr, lo: int, hi: int) -> pl.Expr:
    return (expr >= lo) & (expr < hi)


def tick_size(exchange: str, symbol: str) -> str:
    """Price tick as decimal text: 0.001 for funds and convertible bonds, else 0.01."""
    return "0.001" if instrument_kind(exchange, symbol) in ("fund", "bond") else "0.01"


def _tick(exchange: str, symbol: str) -> pl.Expr:
    return pl.lit(tick_size(exchange, symbol)).cast(pl.Decimal(38, PRICE_SCALE))


def rules_for(file: BronzeFile, table: str) -> list[Rule]:
    """``pointline_validation_rules``: the rules that apply to ``file`` landing in ``table``."""
    meta = file.meta_dict()
    exchange, symbol = meta.get("exchange", ""), meta.get("symbol", "")
    kind = instrument_kind(exchange, symbol)
    tick = _tick(exchange, symbol)
    t = local_time_us()
    out: list[Rule] = []
    if table in ("l3_orders", "l3_trades"):
        session = _between(t, _hms(9, 15), _hms(11, 30, 1)) | _between(
            t, _hms(13, 0), _hms(15, 30, 1)
        )
        out += [
            Rule(
                "quant360.qty_not_integral",
                (pl.col("qty") % _ONE_UNIT) != 0,
                "reject",
                "quantities are whole shares / units",
            ),
            Rule(
                "quant360.price_off_tick",
                pl.col("price").is_not_null() & ((pl.col("price") % tick) != 0),
                "warn",
                f"price is not a multiple of the {tick_size(exchange, symbol)} CNY tick",
            ),
            Rule(
                "quant360.outside_session",
                ~session,
                "warn",
                "event outside 09:15-11:30 / 13:00-15:30 China time",
            ),
            Rule(
                "quant360.cancel_in_no_cancel_window",
                (pl.col("event_kind") == "cancel")
                & (_between(t, _hms(9, 20), _hms(9, 25)) | _between(t, _hms(14, 57), _hms(15, 0))),
                "warn",
                "the exchanges accept no cancels 09:20-09:25 and 14:57-15:00",
            ),
        ]
    if table == "l3_orders" and exchange == "szse" and kind in ("stock", "fund"):
        out.append(
            Rule(
                "quant360.buy_not_round_lot",
                (pl.col("event_kind") == "add")
                & (pl.col("side") == "buy")
                & ((pl.col("qty") % _ROUND_LOT) != 0),
                "warn",
                "buy orders are multiples of 100 shares",
            )
        )
    if table == "l3_trades":
        trade = pl.col("event_kind") == "trade"
        implied = pl.col("price").cast(pl.Float64) * pl.col("qty").cast(pl.Float64)
        out += [
            Rule(
                "quant360.trade_price_not_positive",
                trade & (pl.col("price").is_null() | (pl.col("price") <= 0)),
                "reject",
                "a trade needs a positive price",
            ),
            Rule(
                "quant360.trade_in_closing_call",
                trade & _between(t, _hms(14, 57), _hms(15, 0)),
                "warn",
                "no trades print during the closing call auction before its uncross",
            ),
            Rule(
                "quant360.notional_mismatch",
                trade
                & pl.col("notional").is_not_null()
                & ((pl.col("notional").cast(pl.Float64) - implied).abs() > 0.01),
                "warn",
                "notional differs from price x qty",
            ),
        ]
        if exchange == "szse":
            refs = pl.col("buy_order_ref").is_not_null().cast(pl.Int8) + pl.col(
                "sell_order_ref"
            ).is_not_null().cast(pl.Int8)
            out += [
                Rule(
                    "quant360.cancel_ref",
                    (pl.col("event_kind") == "cancel") & (refs != 1),
                    "reject",
                    "an SZSE cancel names exactly one order (buy or sell)",
                ),
                Rule(
                    "quant360.trade_refs",
                    trade & (refs != 2),
                    "warn",
                    "an SZSE trade names both the buy and the sell order",
                ),
            ]
    if table == "l2_snapshots":
        last = pl.col("last_price")
        bid1 = pl.col("bid_prices").list.first()
        ask1 = pl.col("ask_prices").list.first()
        out += [
            Rule(
                "quant360.last_outside_limits",
                last.is_not_null()
                & (pl.col("upper_limit") > 0)
                & ((last > pl.col("upper_limit")) | (last < pl.col("lower_limit"))),
                "warn",
                "last price outside the day's price limits",
            ),
            Rule(
                "quant360.crossed_book",
                pl.col("trading_phase").str.starts_with("T")
                & bid1.is_not_null()
                & ask1.is_not_null()
                & (bid1 >= ask1),
                "warn",
                "best bid at or above best ask in continuous trading",
            ),
            Rule(
                "quant360.price_off_tick",
                last.is_not_null() & ((last % tick) != 0),
                "warn",
                f"last price is not a multiple of the {tick_size(exchange, symbol)} CNY tick",
            ),
        ]
    return out
