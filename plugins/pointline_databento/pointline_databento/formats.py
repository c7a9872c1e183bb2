"""Which DBN schemas land in which canonical table, under which data type.

A data type is the DBN schema name, except that one mbo file is two data types: its order
events (add, cancel, modify, clear) land in ``l3_orders`` and its executions (trade, fill)
in ``l3_trades`` (discover lists the file once per data type).
"""

from __future__ import annotations

#: DBN's "no price" sentinel (INT64_MAX).
UNDEF_PRICE = 2**63 - 1
#: Nanoseconds in a day (DBN times are ns since the epoch).
NS_PER_DAY = 86_400_000_000_000

#: data_type -> canonical table.
TABLE_MAPPING: dict[str, str] = {
    "trades": "trades",
    "tbbo": "trades",
    "mbo_orders": "l3_orders",
    "mbo_trades": "l3_trades",
    "mbp-1": "quotes",
    "bbo-1s": "quotes",
    "bbo-1m": "quotes",
    "cmbp-1": "quotes",
    "cbbo-1s": "quotes",
    "cbbo-1m": "quotes",
    "mbp-10": "book_snapshots",
    "ohlcv-1s": "bars",
    "ohlcv-1m": "bars",
    "ohlcv-1h": "bars",
    "ohlcv-1d": "bars",
}

#: DBN schema -> the data types a file of that schema is listed as.
DATA_TYPES_OF_SCHEMA: dict[str, tuple[str, ...]] = {
    **{t: (t,) for t in TABLE_MAPPING if not t.startswith("mbo")},
    "mbo": ("mbo_orders", "mbo_trades"),
}

#: Schemas this plugin deliberately does not ingest, with the reason discover reports.
NOT_INGESTED: dict[str, str] = {
    "definition": (
        "instrument definitions are symbol metadata, not events: import them with "
        "`pointline symbols import FILE LAKE --vendor databento`"
    ),
    "statistics": (
        "statistics (settlement, open interest, session high/low) have no neutral table yet; "
        "not ingested"
    ),
    "status": "trading-status events have no neutral table yet; not ingested",
    "imbalance": "auction imbalance events have no neutral table yet; not ingested",
}


def interval_of(data_type: str) -> str:
    """The bar interval of an ohlcv data type (``ohlcv-1m`` -> ``1m``)."""
    return data_type.removeprefix("ohlcv-")
