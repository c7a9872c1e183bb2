"""The core canonical tables. Named for what they hold, never for a vendor or a country.

Prices and quantities are exact ``Decimal(38,18)``: 20 integer digits (below 1e20) and 18
fractional digits (a 1e-10 price keeps 9 significant digits); notional amounts
``Decimal(38,8)`` (30 integer digits). A value that does not fit is a validation failure
(``overflow:<column>``), never a wrapped number (see :mod:`pointline_core.fixedpoint` and
docs/numeric-representation.md).
"""

from __future__ import annotations

import attrs

from pointline_core.schemas.spec import (
    SIGNED_PRICE_CLASSES,
    ColumnSpec,
    TableSpec,
    decimal_dtype,
)

PRICE_SCALE = 18
QTY_SCALE = 18
NOTIONAL_SCALE = 8
PRICE = decimal_dtype(PRICE_SCALE)
QTY = decimal_dtype(QTY_SCALE)
NOTIONAL = decimal_dtype(NOTIONAL_SCALE)
#: Scales of the Int64 fixed point these columns had before (lakes written by plugin API
#: 1.x); ``pointline migrate --rewrite-decimals`` reads them.
LEGACY_PRICE_SCALE = 9
LEGACY_QTY_SCALE = 8
LEGACY_NOTIONAL_SCALE = 4

EVENT_PARTITION = ("exchange", "trading_date")


def _common() -> tuple[ColumnSpec, ...]:
    return (
        ColumnSpec("exchange", "String", False, description="exchange id as the vendor names it"),
        ColumnSpec("trading_date", "Date", False, description="exchange-local day of ts_event_us"),
        ColumnSpec("symbol", "String", False, description="exchange-native instrument id"),
        ColumnSpec("symbol_id", "Int64", False, description="dim_symbol id valid at ts_event_us"),
        ColumnSpec("ts_event_us", "Int64", False, description="event time, µs since epoch UTC"),
        ColumnSpec("ts_local_us", "Int64", True, description="receive/send time, µs UTC"),
        ColumnSpec("file_id", "Int64", False, description="ingest_manifest id of the Bronze file"),
        ColumnSpec("file_seq", "Int64", False, description="0-based row number in the file"),
    )


def _price(
    name: str,
    nullable: bool = True,
    positive: bool = False,
    desc: str = "",
    signed_classes: tuple[str, ...] = (),
) -> ColumnSpec:
    return ColumnSpec(
        name,
        PRICE,
        nullable,
        PRICE_SCALE,
        positive=positive,
        description=desc,
        signed_classes=signed_classes,
        legacy_int64_scale=LEGACY_PRICE_SCALE,
    )


def _traded_price() -> ColumnSpec:
    """A price > 0, except for instruments priced as a difference (spreads, combos)."""
    return _price(
        "price",
        False,
        True,
        "> 0 unless the instrument's asset_class is spread or combo",
        signed_classes=SIGNED_PRICE_CLASSES,
    )


def _qty(name: str, nullable: bool = True, positive: bool = False, desc: str = "") -> ColumnSpec:
    return ColumnSpec(
        name,
        QTY,
        nullable,
        QTY_SCALE,
        positive=positive,
        description=desc,
        legacy_int64_scale=LEGACY_QTY_SCALE,
    )


def _notional(name: str, desc: str) -> ColumnSpec:
    return ColumnSpec(
        name,
        NOTIONAL,
        True,
        NOTIONAL_SCALE,
        description=desc,
        legacy_int64_scale=LEGACY_NOTIONAL_SCALE,
    )


def _levels(side: str, positive: bool = False) -> tuple[ColumnSpec, ...]:
    """Level arrays; ``positive``: every present level price > 0 unless the instrument is a
    spread or combo (book snapshots of spreads hold negative levels)."""
    return (
        ColumnSpec(
            f"{side}_prices",
            f"List[{PRICE}]",
            False,
            PRICE_SCALE,
            positive=positive,
            signed_classes=SIGNED_PRICE_CLASSES if positive else (),
            description=f"{side} level prices, best first; null element = empty level",
            legacy_int64_scale=LEGACY_PRICE_SCALE,
        ),
        ColumnSpec(
            f"{side}_qtys",
            f"List[{QTY}]",
            False,
            QTY_SCALE,
            description=f"{side} level quantities, same length as {side}_prices",
            legacy_int64_scale=LEGACY_QTY_SCALE,
        ),
    )


def _nanoseconds() -> tuple[ColumnSpec, ...]:
    """Full-resolution clocks of vendors that stamp in nanoseconds (added later, so optional).

    The µs columns stay the lake's clock (partitioning, windows, PIT joins); these keep the
    sub-µs part a ns source would otherwise lose. Order inside one µs is the tie-break's
    business (file order, or the venue's sequence), never these columns alone.
    """
    return (
        ColumnSpec(
            "ts_event_ns",
            "Int64",
            True,
            added_later=True,
            optional=True,
            description="event time, ns since epoch UTC, when the source has ns "
            "(ts_event_us = ts_event_ns // 1000); null otherwise",
        ),
        ColumnSpec(
            "ts_local_ns",
            "Int64",
            True,
            added_later=True,
            optional=True,
            description="receive time, ns since epoch UTC, when the source has ns "
            "(ts_local_us = ts_local_ns // 1000); null otherwise",
        ),
    )


def _event(
    name: str, columns: tuple[ColumnSpec, ...], tie_break: tuple[str, ...], description: str
) -> TableSpec:
    return TableSpec(
        name,
        "event",
        _common() + columns + _nanoseconds(),
        EVENT_PARTITION,
        tie_break,
        description,
    )


# Arrival order is what a researcher could have known, so crypto-style feeds replay by
# receive time; file order breaks ties between rows of one message.
_ARRIVAL = ("ts_local_us", "ts_event_us", "file_id", "file_seq")
# Exchange sequence numbers order order-by-order feeds; timestamps are too coarse there.
_SEQUENCED = ("ts_event_us", "channel_id", "channel_seq", "file_id", "file_seq")

SIDES_TRADE = ("buy", "sell", "unknown")
SIDES_BOOK = ("bid", "ask")

TRADES = _event(
    "trades",
    (
        ColumnSpec("trade_id", "String", True, description="venue trade id as text"),
        ColumnSpec("side", "String", False, allowed=SIDES_TRADE, description="taker side"),
        _traded_price(),
        _qty("qty", False, True, "size in venue units"),
    ),
    _ARRIVAL,
    "One row per trade.",
)

QUOTES = _event(
    "quotes",
    (
        ColumnSpec(
            "source",
            "String",
            False,
            allowed=("book", "feed"),
            description="book = rebuilt from the L2 book; feed = venue's own BBO stream",
        ),
        _price("bid_price"),
        _qty("bid_qty"),
        _price("ask_price"),
        _qty("ask_qty"),
    ),
    _ARRIVAL,
    "Best bid/offer after each change.",
)

ORDERBOOK_UPDATES = _event(
    "orderbook_updates",
    (
        ColumnSpec("is_snapshot", "Boolean", False, description="row belongs to a full snapshot"),
        ColumnSpec("side", "String", False, allowed=SIDES_BOOK),
        _traded_price(),
        _qty("qty", False, False, "new absolute size at the level; 0 removes it"),
        # Added later (nullable, at the end): tables written before read null here; ingest
        # adds them before appending, `pointline migrate` adds them explicitly.
        ColumnSpec(
            "book_reset",
            "Boolean",
            True,
            added_later=True,
            description="first row of a snapshot block: discard the symbol's book, then apply; "
            "null = the source does not say",
        ),
        ColumnSpec(
            "before_first_snapshot",
            "Boolean",
            True,
            added_later=True,
            description="update that precedes the file's first snapshot of its symbol: no book "
            "to apply it to, skip it when rebuilding; null = the source does not say",
        ),
    ),
    _ARRIVAL,
    "L2 price-level updates (absolute sizes), with snapshot blocks. Rebuild a symbol's book "
    "in replay order: skip before_first_snapshot rows, clear the book at each book_reset row.",
)

BOOK_SNAPSHOTS = _event(
    "book_snapshots",
    (
        ColumnSpec("depth", "Int16", False, description="levels per side the feed publishes"),
        *_levels("bid", positive=True),
        *_levels("ask", positive=True),
    ),
    _ARRIVAL,
    "Fixed-depth top-of-book snapshots with level arrays.",
)

DERIVATIVE_TICKER = _event(
    "derivative_ticker",
    (
        ColumnSpec("funding_ts_us", "Int64", True, description="next funding time, µs UTC"),
        ColumnSpec("funding_rate", "Float64", True, description="fraction, 0.0001 = 0.01%"),
        ColumnSpec("predicted_funding_rate", "Float64", True),
        _qty("open_interest", desc="units vary by venue"),
        _price("last_price"),
        _price("index_price"),
        _price("mark_price"),
    ),
    _ARRIVAL,
    "Funding, mark, index and open interest after each change.",
)

LIQUIDATIONS = _event(
    "liquidations",
    (
        ColumnSpec("liquidation_id", "String", True),
        ColumnSpec(
            "side",
            "String",
            False,
            allowed=("buy", "sell", "unknown"),
            description="side of the liquidation order: sell = a long was liquidated",
        ),
        _traded_price(),
        _qty("qty", False, True),
    ),
    _ARRIVAL,
    "Forced liquidations.",
)

OPTIONS_CHAIN = _event(
    "options_chain",
    (
        ColumnSpec("option_type", "String", False, allowed=("call", "put")),
        _price("strike_price", False, True),
        ColumnSpec("expiration_ts_us", "Int64", False),
        _qty("open_interest"),
        _price("last_price"),
        _price("bid_price"),
        _qty("bid_qty"),
        ColumnSpec("bid_iv", "Float64", True),
        _price("ask_price"),
        _qty("ask_qty"),
        ColumnSpec("ask_iv", "Float64", True),
        _price("mark_price"),
        ColumnSpec("mark_iv", "Float64", True),
        ColumnSpec("underlying_index", "String", True),
        _price("underlying_price"),
        *(ColumnSpec(g, "Float64", True) for g in ("delta", "gamma", "vega", "theta", "rho")),
    ),
    _ARRIVAL,
    "Option summaries (quotes, IVs, greeks) after each change.",
)

_L3_IDS = (
    ColumnSpec("channel_id", "Int64", False, description="exchange distribution channel"),
    ColumnSpec(
        "channel_seq",
        "Int64",
        True,
        description="message sequence within the channel (shared by orders and trades "
        "where the exchange numbers them together)",
    ),
    ColumnSpec(
        "biz_index",
        "Int64",
        True,
        description="business sequence across merged order+trade messages, if any",
    ),
)

L3_ORDERS = _event(
    "l3_orders",
    (
        *_L3_IDS,
        ColumnSpec(
            "event_kind",
            "String",
            False,
            allowed=("add", "cancel", "modify", "clear"),
            description="modify: the order's new price/size (qty = new size); clear: the "
            "venue emptied the book (order_ref 0)",
        ),
        ColumnSpec("order_ref", "Int64", False, description="order id the event adds or cancels"),
        ColumnSpec("side", "String", False, allowed=("buy", "sell", "borrow", "lend", "unknown")),
        ColumnSpec(
            "order_type", "String", False, allowed=("limit", "market", "best_own", "unknown")
        ),
        _price("price", desc="limit price; 0/null for market and best-own orders"),
        _qty("qty", False, False, "original size (add) or cancelled size (cancel)"),
    ),
    _SEQUENCED,
    "Order-by-order (L3) order events: adds, cancels, modifies and book clears.",
)

L3_TRADES = _event(
    "l3_trades",
    (
        *_L3_IDS,
        ColumnSpec(
            "event_kind",
            "String",
            False,
            allowed=("trade", "cancel", "fill"),
            description="trade: the aggressor's execution; fill: a resting order filled "
            "(where the venue reports both, count volume on one of them)",
        ),
        ColumnSpec("buy_order_ref", "Int64", True),
        ColumnSpec("sell_order_ref", "Int64", True),
        ColumnSpec("aggressor_side", "String", False, allowed=("buy", "sell", "unknown")),
        _price("price", desc="execution price; null on cancels"),
        _qty("qty", False, True, "executed or cancelled size"),
        _notional("notional", "price × qty as reported"),
    ),
    _SEQUENCED,
    "Order-by-order (L3) executions (aggressor trades, resting fills) and cancels.",
)

L2_SNAPSHOTS = _event(
    "l2_snapshots",
    (
        ColumnSpec("channel_id", "Int64", True),
        ColumnSpec("channel_seq", "Int64", True),
        ColumnSpec("trading_phase", "String", True),
        _price("prev_close"),
        _price("last_price"),
        _price("upper_limit"),
        _price("lower_limit"),
        _qty("volume", desc="cumulative volume"),
        _notional("turnover", "cumulative turnover"),
        *_levels("bid"),
        *_levels("ask"),
    ),
    ("ts_event_us", "channel_seq", "file_id", "file_seq"),
    "Exchange L2 snapshots with level arrays (typically 10 levels).",
)

BARS = _event(
    "bars",
    (
        ColumnSpec(
            "interval",
            "String",
            False,
            description="bar length as <count><unit>, unit s, m, h or d (e.g. 1s, 1m, 1h, 1d)",
        ),
        # New in API 2.1, so never stored as Int64: nothing for --rewrite-decimals to do.
        *(
            attrs.evolve(col, legacy_int64_scale=None)
            for col in (
                _price("open", False, True, signed_classes=SIGNED_PRICE_CLASSES),
                _price("high", False, True, signed_classes=SIGNED_PRICE_CLASSES),
                _price("low", False, True, signed_classes=SIGNED_PRICE_CLASSES),
                _price("close", False, True, signed_classes=SIGNED_PRICE_CLASSES),
                _qty("volume", False, False, "traded size in the bar, venue units"),
            )
        ),
    ),
    ("ts_event_us", "interval", "file_id", "file_seq"),
    "Vendor-published OHLCV bars; ts_event_us is the bar's open time (start of the interval).",
)

DIM_SYMBOL = TableSpec(
    "dim_symbol",
    "dimension",
    (
        ColumnSpec("symbol_id", "Int64", False, description="hash of exchange, symbol, valid_from"),
        ColumnSpec("exchange", "String", False),
        ColumnSpec("exchange_symbol", "String", False),
        ColumnSpec("valid_from_ts_us", "Int64", False, description="window start, inclusive"),
        ColumnSpec("valid_until_ts_us", "Int64", False, description="window end, exclusive"),
        ColumnSpec("is_current", "Boolean", False),
        ColumnSpec("asset_class", "String", True),
        ColumnSpec("base_asset", "String", True),
        ColumnSpec("quote_asset", "String", True),
        _price("tick_size"),
        _qty("lot_size"),
        _qty("contract_size"),
    ),
    (),
    ("exchange", "exchange_symbol", "valid_from_ts_us"),
    "SCD2 symbol dimension with half-open windows [valid_from, valid_until).",
)

DIM_TRADING_CALENDAR = TableSpec(
    "dim_trading_calendar",
    "dimension",
    (
        ColumnSpec("exchange", "String", False),
        ColumnSpec("calendar", "String", False, description="the exchange's calendar code"),
        ColumnSpec("trading_date", "Date", False),
        ColumnSpec("is_session", "Boolean", False, description="the exchange trades that day"),
        ColumnSpec("open_ts_us", "Int64", True, description="session open, UTC µs"),
        ColumnSpec("close_ts_us", "Int64", True, description="session close, UTC µs"),
    ),
    (),
    ("exchange", "trading_date"),
    "Every calendar day of each exchange in the lake: session or not, open and close.",
)

SYMBOL_OBSERVATIONS = TableSpec(
    "symbol_observations",
    "control",
    (
        ColumnSpec("exchange", "String", False),
        ColumnSpec("exchange_symbol", "String", False),
        ColumnSpec("ts_us", "Int64", False, description="when the observation takes effect"),
        ColumnSpec(
            "kind",
            "String",
            False,
            allowed=("listed", "delisted"),
            description="listed: these attributes from ts_us on; delisted: not listed from ts_us",
        ),
        ColumnSpec("asset_class", "String", True),
        ColumnSpec("base_asset", "String", True),
        ColumnSpec("quote_asset", "String", True),
        _price("tick_size"),
        _qty("lot_size"),
        _qty("contract_size"),
    ),
    (),
    ("exchange", "exchange_symbol", "ts_us", "kind"),
    "Every symbol fact ever imported; dim_symbol is derived from it.",
)

INGEST_MANIFEST = TableSpec(
    "ingest_manifest",
    "control",
    (
        ColumnSpec("file_id", "Int64", False),
        ColumnSpec("vendor", "String", False),
        ColumnSpec("data_type", "String", False),
        ColumnSpec("bronze_path", "String", False, description="relative to the Bronze root"),
        ColumnSpec("sha256", "String", False),
        ColumnSpec("size_bytes", "Int64", True),
        ColumnSpec(
            "mtime_ns",
            "Int64",
            True,
            description="file mtime when last hashed; with size_bytes lets a rerun skip hashing",
        ),
        ColumnSpec(
            "status",
            "String",
            False,
            allowed=("pending", "success", "failed", "quarantined", "superseded", "duplicate"),
            description=(
                "superseded: the Bronze path was re-delivered with other content (or was "
                "unreadable and has been read since); duplicate: the same content already "
                "landed from another path, nothing written"
            ),
        ),
        ColumnSpec("table_name", "String", True),
        ColumnSpec("rows_total", "Int64", True),
        ColumnSpec("rows_written", "Int64", True),
        ColumnSpec("rows_quarantined", "Int64", True),
        ColumnSpec("trading_date_min", "Date", True),
        ColumnSpec("trading_date_max", "Date", True),
        ColumnSpec("status_reason", "String", True),
        ColumnSpec("created_at_us", "Int64", False),
        ColumnSpec("updated_at_us", "Int64", False),
    ),
    (),
    ("file_id",),
    "One row per Bronze file identity.",
)

VALIDATION_LOG = TableSpec(
    "validation_log",
    "control",
    (
        ColumnSpec("file_id", "Int64", False),
        ColumnSpec("table_name", "String", False),
        ColumnSpec("rule", "String", False),
        ColumnSpec("severity", "String", False, allowed=("reject", "warn")),
        ColumnSpec("count", "Int64", False),
        ColumnSpec("sample_detail", "String", True),
        ColumnSpec("logged_at_us", "Int64", False),
    ),
    (),
    ("file_id", "table_name", "rule"),
    "Rule outcomes per file.",
)

UPSTREAM_LEDGER = TableSpec(
    "upstream_ledger",
    "control",
    (
        ColumnSpec("vendor", "String", False),
        ColumnSpec("archive_name", "String", False),
        ColumnSpec("sha256", "String", False),
        ColumnSpec("status", "String", False, allowed=("success", "failed")),
        ColumnSpec("members_total", "Int64", True),
        ColumnSpec("members_published", "Int64", True),
        ColumnSpec("members_rejected", "Int64", True),
        ColumnSpec("status_reason", "String", True),
        ColumnSpec("updated_at_us", "Int64", False),
        # Added later (nullable, at the end): ledgers written before carry nulls here.
        ColumnSpec(
            "size_bytes",
            "Int64",
            True,
            description="archive size when recorded; with mtime_ns lets a rerun skip re-hashing",
        ),
        ColumnSpec(
            "mtime_ns",
            "Int64",
            True,
            description="archive modification time (ns since epoch) when recorded",
        ),
    ),
    (),
    ("vendor", "archive_name", "sha256"),
    "One row per upstream archive.",
)

EVENT_TABLES: tuple[TableSpec, ...] = (
    TRADES,
    QUOTES,
    ORDERBOOK_UPDATES,
    BOOK_SNAPSHOTS,
    DERIVATIVE_TICKER,
    LIQUIDATIONS,
    OPTIONS_CHAIN,
    L3_ORDERS,
    L3_TRADES,
    L2_SNAPSHOTS,
    BARS,
)
CORE_TABLES: tuple[TableSpec, ...] = (
    *EVENT_TABLES,
    DIM_SYMBOL,
    DIM_TRADING_CALENDAR,
    SYMBOL_OBSERVATIONS,
    INGEST_MANIFEST,
    VALIDATION_LOG,
    UPSTREAM_LEDGER,
)
