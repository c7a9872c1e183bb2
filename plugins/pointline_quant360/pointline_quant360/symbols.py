"""Symbol rows for dim_symbol: from a listing file (point-in-time), or from what Bronze or an
archive happens to contain (**not** point-in-time safe; demos only).

Output columns (the generic symbols-file columns; ``valid_until_ts_us`` null = open-ended):
``exchange, exchange_symbol, valid_from_ts_us, valid_until_ts_us, asset_class, base_asset,
quote_asset, tick_size, lot_size, contract_size``; decimals are exact text.

Listing file (CSV, header required, columns by name, extra columns ignored)::

    code,exchange,list_date,delist_date
    600000,SH,19991110,
    000001,SZ,1991-04-03,

- ``code``: the 6-digit code, or ``<code>.SH`` / ``<code>.SZ``;
- ``exchange``: ``SH``/``SZ``/``sse``/``szse`` (optional when every code has a suffix);
- ``list_date``: ``YYYYMMDD`` or ``YYYY-MM-DD``; the window opens at 00:00 China time;
- ``delist_date``: optional, same formats; the security is valid through that whole day (the
  window closes at the next midnight, China time); empty = still listed.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from pointline_core.errors import MemberRejected, ParseError
from pointline_core.symbols import SYMBOL_ROW_COLUMNS
from pointline_quant360.naming import (
    EXCHANGE_OF_CODE,
    instrument_kind,
    member_symbol,
    parse_archive_name,
    parse_bronze_rel,
)
from pointline_quant360.rules import tick_size

OUTPUT_COLUMNS = SYMBOL_ROW_COLUMNS
_EXCHANGES = {"SH": "sse", "SZ": "szse", "SSE": "sse", "SZSE": "szse"}
_DAY_US = 86_400_000_000
TIMEZONE = "Asia/Shanghai"

#: asset_class per instrument kind (see :func:`pointline_quant360.naming.instrument_kind`).
ASSET_CLASS = {
    "stock": "equity",
    "star": "equity",
    "fund": "fund",
    "bond": "convertible_bond",
    "index": "index",
}
LOT_SIZE = {"stock": "100", "star": "1", "fund": "100"}


def _midnight_us(date: pl.Expr) -> pl.Expr:
    return (
        date.cast(pl.Datetime("us"))
        .dt.replace_time_zone(TIMEZONE)
        .dt.convert_time_zone("UTC")
        .dt.epoch("us")
    )


def _date(col: str) -> pl.Expr:
    text = pl.col(col).str.strip_chars().str.replace_all("-", "")
    return (
        pl.when(text.str.contains(r"^\d{8}$"))
        .then(text)
        .otherwise(pl.lit(None, pl.String))
        .str.to_date("%Y%m%d", strict=False)
    )


def _with_metadata(frame: pl.DataFrame) -> pl.DataFrame:
    """Add asset_class, tick_size, lot_size and the constant columns from exchange + code."""
    kinds = frame.select("exchange", "exchange_symbol").unique()
    kinds = kinds.with_columns(
        pl.Series(
            "_kind",
            [instrument_kind(e, s) for e, s in kinds.iter_rows()],
            dtype=pl.String,
        )
    )
    # one Python call per distinct security, not per row
    kinds = kinds.with_columns(
        pl.Series("tick_size", [tick_size(e, s) for e, s, _ in kinds.iter_rows()], dtype=pl.String)
    )
    return (
        frame.join(kinds, on=["exchange", "exchange_symbol"], how="left")
        .with_columns(
            pl.col("_kind").replace_strict(ASSET_CLASS, default=None).alias("asset_class"),
            pl.lit(None, pl.String).alias("base_asset"),
            pl.lit("CNY").alias("quote_asset"),
            pl.col("_kind")
            .replace_strict(LOT_SIZE, default=None, return_dtype=pl.String)
            .alias("lot_size"),
            pl.lit(None, pl.String).alias("contract_size"),
        )
        .select(OUTPUT_COLUMNS)
        .sort("exchange", "exchange_symbol", "valid_from_ts_us")
    )


def read_listing(path: Path) -> pl.DataFrame:
    """Symbol rows from a listing file (see the module docstring). Raises ParseError."""
    try:
        raw = pl.read_csv(path, infer_schema=False, raise_if_empty=True)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ParseError(f"cannot read listing file: {exc}", path=str(path)) from exc
    raw = raw.rename({c: c.lstrip("\ufeff").strip().lower() for c in raw.columns})
    for col in ("code", "list_date"):
        if col not in raw.columns:
            raise ParseError("listing file lacks a column", path=str(path), column=col)
    if "exchange" not in raw.columns:
        raw = raw.with_columns(pl.lit(None, pl.String).alias("exchange"))
    if "delist_date" not in raw.columns:
        raw = raw.with_columns(pl.lit(None, pl.String).alias("delist_date"))
    code = pl.col("code").str.strip_chars().str.to_uppercase()
    parts = code.str.extract_groups(r"^(\d{1,6})(?:\.(SH|SZ))?$")
    frame = raw.with_row_index("_line", offset=2).with_columns(
        parts.struct.field("1").str.zfill(6).alias("exchange_symbol"),
        pl.coalesce(
            pl.col("exchange").str.strip_chars().str.to_uppercase(),
            parts.struct.field("2"),
        )
        .replace_strict(_EXCHANGES, default=None, return_dtype=pl.String)
        .alias("exchange"),
        _date("list_date").alias("_from"),
        _date("delist_date").alias("_until"),
    )
    bad = frame.filter(
        pl.col("exchange_symbol").is_null()
        | pl.col("exchange").is_null()
        | pl.col("_from").is_null()
        | (pl.col("delist_date").str.strip_chars().fill_null("") != "") & pl.col("_until").is_null()
    )
    if bad.height:
        line = int(bad["_line"][0])
        raise ParseError(
            f"{bad.height} listing row(s) without a 6-digit code, a known exchange (SH/SZ) or "
            "a valid list/delist date (YYYYMMDD or YYYY-MM-DD)",
            path=str(path),
            line=line,
        )
    frame = frame.with_columns(
        _midnight_us(pl.col("_from")).alias("valid_from_ts_us"),
        (_midnight_us(pl.col("_until")) + _DAY_US).alias("valid_until_ts_us"),
    )
    return _with_metadata(frame)


def _first_seen(pairs: pl.DataFrame) -> pl.DataFrame:
    frame = pairs.group_by("exchange", "exchange_symbol").agg(pl.col("date").min())
    frame = frame.with_columns(
        _midnight_us(pl.col("date")).alias("valid_from_ts_us"),
        pl.lit(None, pl.Int64).alias("valid_until_ts_us"),
    )
    return _with_metadata(frame)


def symbols_from_bronze(bronze_root: Path) -> pl.DataFrame:
    """Symbol rows for every code present under ``<bronze_root>/quant360/``.

    **Not point-in-time safe; for demos only.** Each window opens on the first trading day the
    Bronze tree happens to hold for the code and never closes: real listing and delisting
    dates, code reuse and suspensions are invisible. Use :func:`read_listing` for research.
    """
    root = Path(bronze_root) / "quant360"
    rows: list[tuple[str, str, str]] = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            rel = Path(dirpath, name).relative_to(root).as_posix()
            parsed = parse_bronze_rel(rel)
            if not isinstance(parsed, str):
                rows.append((parsed.exchange, parsed.symbol, parsed.date))
    pairs = pl.DataFrame(
        rows,
        schema={"exchange": pl.String, "exchange_symbol": pl.String, "date": pl.String},
        orient="row",
    ).with_columns(pl.col("date").str.to_date("%Y-%m-%d"))
    return _first_seen(pairs)


def symbols_from_archive(archive: Path) -> pl.DataFrame:
    """Symbol rows for the members of one Quant360 archive (reads only its directory).

    **Not point-in-time safe; for demos only**: every code opens on the archive's date and
    never closes (see :func:`symbols_from_bronze`).
    """
    import py7zr

    name = parse_archive_name(Path(archive).name)
    with py7zr.SevenZipFile(archive, "r") as z:
        members = [f.filename for f in z.list() if not f.is_directory]
    codes = sorted({s for m in members if (s := _quiet_symbol(m)) is not None})
    pairs = pl.DataFrame(
        {
            "exchange": [EXCHANGE_OF_CODE[name.exchange_code]] * len(codes),
            "exchange_symbol": codes,
            "date": [name.date] * len(codes),
        },
        schema={"exchange": pl.String, "exchange_symbol": pl.String, "date": pl.Date},
    )
    return _first_seen(pairs)


def _quiet_symbol(member: str) -> str | None:
    try:
        return member_symbol(member)
    except MemberRejected:  # a rejected member simply contributes no symbol
        return None
