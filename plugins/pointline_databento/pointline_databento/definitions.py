"""``pointline symbols import FILE LAKE --vendor databento``: definition files -> symbol rows.

A DBN ``definition`` file holds one record per instrument (re-sent each day and on every
change). Each add (``A``) or modify (``M``) opens a window for its raw symbol; the window
ends at the symbol's next definition record (a delete ``D`` ends it without opening another),
else at the contract's expiration, else it stays open. An add's window starts at the
contract's activation when the venue publishes one (futures), else at the start of the
record's UTC day (Nasdaq re-sends every listed stock's definition each morning, before the
session); a modify's starts when it was published. So a raw symbol CME reuses a decade later
(ESH1 in 2021 and in 2031) gets two windows, one per contract, and never joins the wrong one.

Definitions are decoded by ``databento-dbn`` itself (upgraded to DBN v3 field names):
definition files are small (one record per instrument and day), so one Python object per
record is fine here, unlike the market-data schemas.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import databento_dbn
import polars as pl

from pointline_core.errors import ParseError
from pointline_databento.dbnfile import byte_stream, read_exact
from pointline_databento.exchanges import exchange_of
from pointline_databento.formats import NS_PER_DAY, UNDEF_PRICE

UNDEF_TIMESTAMP = 2**64 - 1
UNDEF_I32 = 2**31 - 1
UNDEF_U32 = 2**32 - 1
_CHUNK = 1 << 20

#: DBN instrument_class -> conventional asset_class (spreads may trade at prices <= 0).
ASSET_CLASSES = {
    "K": "equity",
    "F": "futures",
    "C": "options",
    "P": "options",
    "S": "spread",
    "T": "spread",
    "M": "spread",
    "B": "fixed_income",
    "X": "fx",
    "Y": "commodity",
}
_OUTPUT = {
    "exchange": pl.String,
    "exchange_symbol": pl.String,
    "valid_from_ts_us": pl.Int64,
    "valid_until_ts_us": pl.Int64,
    "asset_class": pl.String,
    "base_asset": pl.String,
    "quote_asset": pl.String,
    "tick_size": pl.String,
    "lot_size": pl.String,
    "contract_size": pl.String,
}


def _decimal_text(units: int, undef: int, decimals: int) -> str | None:
    """Exact decimal text of a DBN integer (``None`` for the UNDEF sentinel or 0)."""
    if units in (undef, 0):
        return None
    return format(Decimal(units).scaleb(-decimals).normalize(), "f")


def _char(value: object) -> str:
    return str(getattr(value, "value", value) or "")


def _records(path: Path) -> tuple[str, list[databento_dbn.InstrumentDefMsg]]:
    decoder = databento_dbn.DBNDecoder(
        upgrade_policy=databento_dbn.VersionUpgradePolicy.UPGRADE_TO_V3
    )
    try:
        with byte_stream(path) as stream:
            while chunk := read_exact(stream, _CHUNK):
                decoder.write(chunk)
        records = decoder.decode()
    except Exception as exc:  # the decoder and zstd raise their own error types
        raise ParseError(f"not a readable DBN definition file: {exc}", path=str(path)) from None
    if not records or not isinstance(records[0], databento_dbn.Metadata):
        raise ParseError("DBN file without a metadata header", path=str(path))
    meta = records[0]
    if str(meta.schema) != "definition":
        raise ParseError(
            f"DBN schema is {meta.schema}, not definition: pass a definition file "
            "(e.g. glbx-mdp3-20201228.definition.dbn.zst)",
            path=str(path),
        )
    return str(meta.dataset), [
        r for r in records[1:] if isinstance(r, databento_dbn.InstrumentDefMsg)
    ]


def _row(rec: databento_dbn.InstrumentDefMsg) -> dict[str, object]:
    multiplier = rec.contract_multiplier
    contract = (
        str(multiplier)
        if multiplier not in (UNDEF_I32, 0)
        else _decimal_text(rec.unit_of_measure_qty, UNDEF_PRICE, 9)
    )
    lot = rec.min_trade_vol
    return {
        "exchange_symbol": rec.raw_symbol,
        "action": _char(rec.security_update_action),
        "ts_event_ns": rec.ts_event,
        "activation_ns": None if rec.activation == UNDEF_TIMESTAMP else rec.activation,
        "expiration_ns": None if rec.expiration == UNDEF_TIMESTAMP else rec.expiration,
        "asset_class": ASSET_CLASSES.get(_char(rec.instrument_class)),
        "base_asset": rec.asset or None,
        "quote_asset": rec.currency or None,
        "tick_size": _decimal_text(rec.min_price_increment, UNDEF_PRICE, 9),
        "lot_size": None if lot in (UNDEF_U32, 0) else str(lot),
        "contract_size": contract,
    }


def read_definitions(path: Path) -> pl.DataFrame:
    """Generic symbol rows (windows per raw symbol) from a DBN definition file."""
    dataset, records = _records(Path(path))
    exchange = exchange_of(dataset)
    if exchange is None:
        raise ParseError(
            f"dataset {dataset} has no exchange in this plugin "
            "(pointline_databento.exchanges.DATASETS)",
            path=str(path),
        )
    if not records:
        return pl.DataFrame(schema=_OUTPUT)
    frame = pl.DataFrame([_row(r) for r in records], infer_schema_length=None).with_columns(
        pl.col("ts_event_ns", "activation_ns", "expiration_ns").cast(pl.Int64)
    )
    day_start = pl.col("ts_event_ns") // NS_PER_DAY * NS_PER_DAY
    start_ns = (
        pl.when(pl.col("action") == "M")
        .then(pl.col("ts_event_ns"))
        .otherwise(pl.coalesce(pl.col("activation_ns"), day_start))
    )
    # The next record ends the window (a delete ends it at the delete's own time), and the
    # contract's expiration ends it at the latest. Computed over all records of the symbol
    # before the deletes are dropped.
    nxt = pl.col("ts_event_ns").shift(-1).over("exchange_symbol")
    next_end = (
        pl.when(pl.col("action").shift(-1).over("exchange_symbol") == "D")
        .then(nxt)
        .otherwise(pl.col("_start").shift(-1).over("exchange_symbol"))
    )
    windows = (
        frame.with_columns(_start=start_ns)
        .sort("exchange_symbol", "ts_event_ns", maintain_order=True)
        .with_columns(_until=pl.min_horizontal(next_end, pl.col("expiration_ns")))
        .filter(pl.col("action") != "D")
    )
    return (
        windows.with_columns(
            exchange=pl.lit(exchange),
            valid_from_ts_us=pl.col("_start") // 1000,
            valid_until_ts_us=pl.col("_until") // 1000,
        )
        .filter(
            pl.col("valid_until_ts_us").is_null()
            | (pl.col("valid_until_ts_us") > pl.col("valid_from_ts_us"))
        )
        .select(list(_OUTPUT))
        .cast(_OUTPUT)
    )
