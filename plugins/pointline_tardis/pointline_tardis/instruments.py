"""Tardis instrument metadata (instruments / exchanges API JSON saved to disk) -> symbol rows.

Input: one JSON array of instrument objects, one object per line (JSON lines), or a single
(possibly pretty-printed) object. Keys are the instruments API's camelCase ones (``id``,
``exchange``, ``type``, ``baseCurrency``, ``quoteCurrency``, ``availableSince``,
``availableTo``, ``priceIncrement``, ``amountIncrement``, ``contractMultiplier``, ``changes``);
unknown keys are ignored.

An exchange-details API response (``/v1/exchanges/<exchange>``: an object with the exchange
``id`` and ``datasets.symbols`` / ``availableSymbols``) is accepted too, alone, in an array or
one per line: each of its symbols becomes an instrument of that exchange with its
``availableSince`` / ``availableTo`` window and ``type``, but no tick, lot or contract size
(that API has none). ``datasets.symbols`` is used when present (the ids the CSV datasets
use), else ``availableSymbols``; ids are upper-cased as in the CSV ``symbol`` column, and the
grouped symbols (``SPOT``, ``FUTURES``, ``PERPETUALS``, ``OPTIONS``) are skipped: they are
download names, never row values.

Output: the generic symbols-file columns, one row per validity window (half-open
``[valid_from_ts_us, valid_until_ts_us)``, µs UTC, ``valid_until_ts_us`` null = open-ended):

========================  ============================================================
``exchange``              Tardis exchange id
``exchange_symbol``       ``id`` (the value of the CSV ``symbol`` column)
``valid_from_ts_us``      window start
``valid_until_ts_us``     window end, null when open-ended
``asset_class``           the instrument ``type``: spot, perpetual, future, option, ...
``base_asset``            ``baseCurrency``
``quote_asset``           ``quoteCurrency``
``tick_size``             ``priceIncrement`` (exact decimal text)
``lot_size``              ``amountIncrement`` (exact decimal text)
``contract_size``         ``contractMultiplier`` (exact decimal text; null if absent)
========================  ============================================================

Windows from ``changes`` (each item: ``until`` plus the values that held *before* it): sorted by
``until``, the first window runs from ``availableSince`` to the first ``until``, each next one
from the previous ``until`` to its own, the last from the last ``until`` to ``availableTo`` (or
open-ended) with the top-level values. A field a change omits keeps the value in force after
that change (the next change that names it, else the top-level value): a change records only
what differed before its ``until``. Windows outside ``[availableSince, availableTo)`` are
clipped; empty ones are dropped. Decimal values are kept as the exact JSON text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from pointline_core.errors import ParseError
from pointline_core.symbols import SYMBOL_ROW_COLUMNS

FIELDS = ("priceIncrement", "amountIncrement", "contractMultiplier")
OUTPUT_COLUMNS = SYMBOL_ROW_COLUMNS
_CHANGE = pl.Struct({"until": pl.String, **dict.fromkeys(FIELDS, pl.String)})
_SCHEMA = {
    "id": pl.String,
    "exchange": pl.String,
    "type": pl.String,
    "baseCurrency": pl.String,
    "quoteCurrency": pl.String,
    "availableSince": pl.String,
    "availableTo": pl.String,
    **dict.fromkeys(FIELDS, pl.String),
    "changes": pl.List(_CHANGE),
}
_TS_FORMATS = ("%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d")


def output_schema() -> pl.Schema:
    """Schema of :func:`read_instruments`' result."""
    return pl.Schema(
        {name: pl.Int64 if name.endswith("_ts_us") else pl.String for name in OUTPUT_COLUMNS}
    )


def _loads(text: str, path: str, line: int) -> Any:
    try:
        return json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"invalid JSON ({exc.msg}, column {exc.colno}); expected the tardis instruments "
            "API response: a JSON array of objects or one object per line",
            path=path,
            line=line + exc.lineno - 1,
        ) from None


#: Grouped symbols of the datasets API: whole-market download names, not instruments.
GROUPED_SYMBOLS = frozenset({"SPOT", "FUTURES", "PERPETUALS", "OPTIONS"})


def _is_exchange_details(record: dict[str, Any]) -> bool:
    return "exchange" not in record and (
        "availableSymbols" in record or isinstance(record.get("datasets"), dict)
    )


def _details_symbols(record: dict[str, Any], where: str, line: int | None) -> list[Any]:
    """The instruments of one exchange-details response (see the module docstring)."""
    exchange = record.get("id")
    datasets = record.get("datasets")
    symbols = datasets.get("symbols") if isinstance(datasets, dict) else None
    if symbols is None:
        symbols = record.get("availableSymbols")
    if not isinstance(exchange, str) or not isinstance(symbols, list):
        raise ParseError(
            "an exchange-details object needs the exchange `id` and a `datasets.symbols` or "
            "`availableSymbols` list",
            path=where,
            line=line,
        )
    result: list[Any] = []
    for symbol in symbols:
        if not isinstance(symbol, dict):
            result.append(symbol)  # reported by the caller as not an object
            continue
        ident = symbol.get("id")
        if isinstance(ident, str):
            ident = ident.upper()
            if ident in GROUPED_SYMBOLS:
                continue
        result.append({**symbol, "id": ident, "exchange": exchange})
    return result


def load_records(path: Path) -> list[dict[str, Any]]:
    """The instrument objects of a JSON array, JSON-lines or single-object file (numbers
    kept as text), exchange-details responses expanded into their symbols."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"cannot read instruments file: {exc}", path=where) from None
    stripped = text.lstrip("\ufeff \t\r\n")
    first_line = 1 + text[: len(text) - len(stripped)].count("\n")
    whole: Any = None
    if stripped.startswith("{"):
        try:  # one (pretty-printed) object; several objects are JSON lines, below
            whole = json.loads(stripped, parse_float=str, parse_int=str)
        except json.JSONDecodeError:
            whole = None
    if stripped.startswith("["):
        records = _loads(stripped, where, first_line)
        if not isinstance(records, list):
            raise ParseError("expected a JSON array of instrument objects", path=where, line=1)
        lines: list[int | None] = [None] * len(records)
    elif isinstance(whole, dict):
        records, lines = [whole], [first_line]
    else:
        pairs = [
            (number, _loads(line, where, number))
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
        records = [record for _, record in pairs]
        lines = [number for number, _ in pairs]
    expanded: list[Any] = []
    expanded_lines: list[int | None] = []
    for record, line in zip(records, lines, strict=True):
        if isinstance(record, dict) and _is_exchange_details(record):
            symbols = _details_symbols(record, where, line)
            expanded.extend(symbols)
            expanded_lines.extend([line] * len(symbols))
        else:
            expanded.append(record)
            expanded_lines.append(line)
    records, lines = expanded, expanded_lines
    for position, (record, line) in enumerate(zip(records, lines, strict=True)):
        if not isinstance(record, dict):
            raise ParseError(
                f"instrument #{position} is a {type(record).__name__}, expected a JSON object",
                path=where,
                line=line,
            )
    return records


def _timestamp_us(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    parsed = [
        text.str.to_datetime(format=fmt, time_unit="us", time_zone="UTC", strict=False)
        for fmt in _TS_FORMATS
    ]
    return pl.coalesce(parsed).dt.epoch("us")


def _first_bad(frame: pl.DataFrame, bad: pl.Expr) -> dict[str, Any] | None:
    rows = frame.filter(bad).head(1).to_dicts()
    return rows[0] if rows else None


def _check(frame: pl.DataFrame, where: str) -> None:
    for key in ("id", "exchange", "availableSince"):
        row = _first_bad(frame, pl.col(key).is_null() | (pl.col(key).str.strip_chars() == ""))
        if row is not None:
            raise ParseError(
                f"instrument #{row['_pos']} (id {row['id']!r}) has no {key!r}; every "
                "instrument needs id, exchange and availableSince",
                path=where,
                column=key,
            )
    for key in ("availableSince", "availableTo"):
        row = _first_bad(frame, pl.col(key).is_not_null() & pl.col(f"_{key}_us").is_null())
        if row is not None:
            raise ParseError(
                f"instrument #{row['_pos']} (id {row['id']!r}): {key} {row[key]!r} is not an "
                "ISO datetime such as 2020-06-01T00:00:00.000Z",
                path=where,
                column=key,
            )


def instrument_windows(records: list[dict[str, Any]], where: str = "<records>") -> pl.DataFrame:
    """Symbol rows with validity windows for already loaded instrument objects."""
    if not records:
        return pl.DataFrame(schema=output_schema())
    try:
        frame = pl.DataFrame(records, schema=_SCHEMA, strict=False)
    except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
        raise ParseError(
            f"instrument objects do not have the expected shape ({exc}); string/number "
            "fields and a `changes` list of objects are expected",
            path=where,
        ) from None
    frame = frame.with_row_index("_pos").with_columns(
        _timestamp_us("availableSince").alias("_availableSince_us"),
        _timestamp_us("availableTo").alias("_availableTo_us"),
    )
    _check(frame, where)

    changes = (
        frame.select("_pos", "id", "changes")
        .explode("changes")
        .filter(pl.col("changes").is_not_null())
        .unnest("changes")
        .with_columns(_timestamp_us("until").alias("_until_us"))
    )
    bad = _first_bad(changes, pl.col("_until_us").is_null())
    if bad is not None:
        raise ParseError(
            f"instrument #{bad['_pos']} (id {bad['id']!r}): change `until` {bad['until']!r} "
            "is missing or not an ISO datetime",
            path=where,
            column="changes.until",
        )
    # One sequence per instrument: its changes by `until`, then the top-level values.
    steps = pl.concat(
        [
            changes.select(
                "_pos", pl.col("_until_us").alias("_end"), pl.lit(0).alias("_last"), *FIELDS
            ),
            frame.select(
                "_pos", pl.col("_availableTo_us").alias("_end"), pl.lit(1).alias("_last"), *FIELDS
            ),
        ],
        how="vertical_relaxed",
    ).sort("_pos", "_last", "_end", maintain_order=True)
    steps = steps.with_columns(
        # A field a change omits holds the value in force after it.
        *(pl.col(f).backward_fill().over("_pos") for f in FIELDS),
        pl.col("_end").shift(1).over("_pos").alias("_start"),
    )
    meta = frame.select(
        "_pos",
        "id",
        "exchange",
        "type",
        "baseCurrency",
        "quoteCurrency",
        "_availableSince_us",
        "_availableTo_us",
    )
    windows = (
        steps.join(meta, on="_pos", how="left")
        .with_columns(
            pl.max_horizontal(
                pl.col("_start").fill_null(pl.col("_availableSince_us")), "_availableSince_us"
            ).alias("valid_from_ts_us"),
            pl.when(pl.col("_availableTo_us").is_null())
            .then(pl.col("_end"))
            .otherwise(pl.min_horizontal("_end", "_availableTo_us"))
            .alias("valid_until_ts_us"),
        )
        .filter(
            pl.col("valid_until_ts_us").is_null()
            | (pl.col("valid_until_ts_us") > pl.col("valid_from_ts_us"))
        )
    )

    def text(name: str) -> pl.Expr:
        value = pl.col(name).str.strip_chars()
        return pl.when(value != "").then(value).otherwise(pl.lit(None, pl.String))

    return windows.select(
        text("exchange").alias("exchange"),
        text("id").alias("exchange_symbol"),
        pl.col("valid_from_ts_us").cast(pl.Int64),
        pl.col("valid_until_ts_us").cast(pl.Int64),
        text("type").alias("asset_class"),
        text("baseCurrency").alias("base_asset"),
        text("quoteCurrency").alias("quote_asset"),
        text("priceIncrement").alias("tick_size"),
        text("amountIncrement").alias("lot_size"),
        text("contractMultiplier").alias("contract_size"),
    ).sort("exchange", "exchange_symbol", "valid_from_ts_us", maintain_order=True)


def read_instruments(path: Path) -> pl.DataFrame:
    """Read a saved instruments JSON file into symbol rows (see the module docstring)."""
    return instrument_windows(load_records(path), str(path))
