"""Read one Quant360 Bronze file (``<code>.csv.gz``) as all-text frames in bounded batches.

Every column is read as text (codes keep leading zeros, ``OrdType``/``ExecType`` mix digits
and letters, 17-digit timestamps never pass through a float) and columns are matched by header
name, never by position; only the columns the stream's mapping reads are parsed (a day is
hundreds of files per stream: reading a dozen unused text columns cost ~20% of each file's
parse). A zero-byte or header-only file yields nothing. A header that lacks a column the stream
needs raises :class:`~pointline_core.errors.ParseError` naming the column.

Files up to :data:`WHOLE_FILE_BYTES` on disk (nearly all of them: one symbol's day) are
inflated whole by ISA-L (~2x zlib's speed) and parsed in one read; larger ones stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
from isal import igzip, isal_zlib

from pointline_core.errors import CanonicalizeError, ParseError
from pointline_core.models import BronzeFile
from pointline_quant360 import canonical

#: Files at most this large (compressed) are read whole: ~5-10x that once inflated.
WHOLE_FILE_BYTES = 4 << 20
_GZIP_MAGIC = b"\x1f\x8b"

#: Columns without which a stream cannot be canonicalised, per (exchange, stream).
REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    ("szse", "order_new"): (
        "ApplSeqNum",
        "Side",
        "OrdType",
        "Price",
        "OrderQty",
        "TransactTime",
        "ChannelNo",
    ),
    ("szse", "tick_new"): (
        "ApplSeqNum",
        "BidApplSeqNum",
        "OfferApplSeqNum",
        "Price",
        "Qty",
        "ExecType",
        "TransactTime",
        "ChannelNo",
    ),
    ("sse", "order_new"): (
        "TransactTime",
        "OrderNo",
        "Price",
        "Balance",
        "OrderBSFlag",
        "OrdType",
        "ChannelNo",
    ),
    ("sse", "tick_new"): (
        "TradeTime",
        "TradePrice",
        "TradeQty",
        "BuyNo",
        "SellNo",
        "ChannelNo",
        "TradeBSFlag",
    ),
    ("szse", "L2_new"): ("QuotTime", "BidPrice", "BidOrderQty", "OfferPrice", "OfferOrderQty"),
    ("sse", "L2_new"): ("QuotTime", "BidPrice", "BidOrderQty", "OfferPrice", "OfferOrderQty"),
}


def _clean_names(names: list[str]) -> list[str]:
    return [n.lstrip("\ufeff").strip() for n in names]


def read_batches(file: BronzeFile, batch_rows: int) -> Iterator[pl.DataFrame]:
    """``pointline_parse``: String frames of at most ``batch_rows`` rows, in file order."""
    path = str(file.path)
    meta = file.meta_dict()
    try:
        lf = pl.scan_csv(
            _source(file.path),
            infer_schema=False,
            raise_if_empty=False,
            with_column_names=_clean_names,
            quote_char='"',
        )
        names = list(lf.collect_schema().names())
    except (pl.exceptions.PolarsError, OSError, EOFError, isal_zlib.error) as exc:
        raise ParseError(f"cannot read CSV header: {exc}", path=path, line=1) from exc
    if not names:
        return  # zero bytes: no header, no rows
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ParseError(f"duplicate header names {dup}", path=path, line=1)
    for col in REQUIRED.get((meta.get("exchange", ""), file.data_type), ()):
        if col not in names:
            raise ParseError(
                f"header lacks column {col!r} needed for {meta.get('exchange')} "
                f"{file.data_type}; header is {','.join(names)}",
                path=path,
                line=1,
                column=col,
            )
    read = _columns_read(meta.get("exchange", ""), file.data_type)
    if read is not None:
        lf = lf.select([n for n in names if n in read])
    try:
        for batch in lf.collect_batches(chunk_size=max(1, int(batch_rows))):
            if batch.height:
                yield batch
    except (pl.exceptions.PolarsError, OSError, EOFError) as exc:
        raise ParseError(f"malformed CSV: {exc}", path=path) from exc


def _source(path: Path) -> Path | bytes:
    """The file's CSV text in memory when it is small (inflated by ISA-L), else its path
    (polars streams it)."""
    if path.stat().st_size > WHOLE_FILE_BYTES:
        return path
    data = path.read_bytes()
    return igzip.decompress(data) if data[:2] == _GZIP_MAGIC else data


def _columns_read(exchange: str, data_type: str) -> frozenset[str] | None:
    """The raw columns the stream's mapping reads (``None``: no mapping, read them all)."""
    table = canonical.TABLE_OF_STREAM.get(data_type)
    try:
        return canonical.mapping_for(exchange, data_type, table).read if table else None
    except CanonicalizeError:
        return None
