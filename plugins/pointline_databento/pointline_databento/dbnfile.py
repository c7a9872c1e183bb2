"""Reading DBN files: the metadata header alone, or the records in bounded columnar batches.

A DBN stream is ``b"DBN"``, a version byte, a little-endian u32 metadata length, the metadata,
then fixed-size records. ``.dbn.zst`` files are one zstd stream around all of it. Both are
read through one sequential byte stream, so a file of any size is read in bounded chunks and
the header costs only the bytes of the header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import attrs
import databento_dbn
import numpy as np
import zstandard

from pointline_core.errors import ParseError
from pointline_databento.records import LAYOUT_OF_SCHEMA, record_dtype

_MAGIC = b"DBN"
_PREFIX = 8
#: A metadata block larger than this is not a DBN header (guards against reading garbage).
_MAX_METADATA = 64 << 20
#: Compressed bytes read per call: large reads keep the decompressor busy.
_READ_SIZE = 1 << 20


@attrs.frozen(slots=True)
class SymbolInterval:
    """One symbology mapping of the header: ``instrument_id`` was ``raw_symbol`` on the UTC
    dates ``[start_date, end_date)``."""

    instrument_id: int
    raw_symbol: str
    start_date: dt.date
    end_date: dt.date


@attrs.frozen(slots=True)
class DbnHeader:
    """What the metadata header says about a file."""

    version: int
    dataset: str
    schema: str
    stype_in: str
    stype_out: str
    start_ns: int
    end_ns: int | None
    ts_out: bool
    intervals: tuple[SymbolInterval, ...]


def is_zstd(path: Path) -> bool:
    return path.name.endswith(".zst")


@contextmanager
def byte_stream(path: Path) -> Iterator[BinaryIO]:
    """The decompressed bytes of ``path`` as a sequential stream."""
    with open(path, "rb") as raw:
        if is_zstd(path):
            reader = zstandard.ZstdDecompressor().stream_reader(
                raw, read_size=_READ_SIZE, read_across_frames=True
            )
            with reader as zs:
                yield zs  # type: ignore[misc]
        else:
            yield raw


def read_exact(stream: BinaryIO, size: int) -> bytes:
    """``size`` bytes, fewer only at the end of the stream (a stream may return short reads)."""
    chunks = []
    left = size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _intervals(meta: databento_dbn.Metadata) -> tuple[SymbolInterval, ...]:
    """Header mappings as (instrument_id, raw_symbol, dates) rows, when the file maps raw
    symbols to instrument ids; other symbologies (parent, continuous) name no raw symbol."""
    if str(meta.stype_in) != "raw_symbol" or str(meta.stype_out) != "instrument_id":
        return ()
    rows = [
        SymbolInterval(int(iv["symbol"]), raw, iv["start_date"], iv["end_date"])
        for raw, intervals in sorted(meta.mappings.items())
        for iv in intervals
        if str(iv["symbol"]).isdigit()
    ]
    return tuple(sorted(rows, key=lambda r: (r.instrument_id, r.start_date, r.raw_symbol)))


def _read_header(stream: BinaryIO, path: Path) -> DbnHeader:
    prefix = read_exact(stream, _PREFIX)
    if len(prefix) < _PREFIX or prefix[:3] != _MAGIC:
        raise ParseError(
            "not a DBN file (it does not start with b'DBN'); Databento files are "
            "DBN (.dbn or .dbn.zst); re-download it or move it out of the Bronze folder",
            path=str(path),
        )
    length = int.from_bytes(prefix[4:8], "little")
    if length > _MAX_METADATA:
        raise ParseError(
            f"DBN metadata length {length} bytes is implausible: corrupt file", path=str(path)
        )
    block = read_exact(stream, length)
    if len(block) < length:
        raise ParseError(
            f"DBN metadata truncated ({len(block)} of {length} bytes): the file is "
            "incomplete; re-download it",
            path=str(path),
        )
    try:
        meta = databento_dbn.Metadata.decode(prefix + block)
    except Exception as exc:  # the decoder raises its own error types
        raise ParseError(f"DBN metadata cannot be decoded: {exc}", path=str(path)) from None
    return DbnHeader(
        version=prefix[3],
        dataset=str(meta.dataset),
        schema=str(meta.schema) if meta.schema is not None else "",
        stype_in=str(meta.stype_in) if meta.stype_in is not None else "",
        stype_out=str(meta.stype_out),
        start_ns=int(meta.start),
        end_ns=None if meta.end is None else int(meta.end),
        ts_out=bool(meta.ts_out),
        intervals=_intervals(meta),
    )


def read_header(path: Path) -> DbnHeader:
    """The metadata header of ``path``, reading (and decompressing) only its bytes."""
    try:
        with byte_stream(path) as stream:
            return _read_header(stream, path)
    except zstandard.ZstdError as exc:
        raise ParseError(
            f"zstd stream is corrupt ({exc}); re-download the file", path=str(path)
        ) from None


def record_batches(path: Path, batch_rows: int) -> Iterator[tuple[DbnHeader, np.ndarray]]:
    """The file's records as structured arrays of at most ``batch_rows`` records each.

    Memory is bounded by one batch of raw bytes plus its array view (no copy). Raises
    ``ParseError`` when the schema has no columnar layout here, a record is not the size
    the schema's layout says, or the file ends inside a record.
    """
    try:
        with byte_stream(path) as stream:
            header = _read_header(stream, path)
            if header.schema not in LAYOUT_OF_SCHEMA:
                raise ParseError(
                    f"DBN schema {header.schema!r} has no columnar decoder", path=str(path)
                )
            dtype = record_dtype(header.schema, header.ts_out)
            size = dtype.itemsize
            offset = 0
            while True:
                data = read_exact(stream, size * max(1, batch_rows))
                if not data:
                    return
                if len(data) % size:
                    cut = offset + len(data) // size
                    raise ParseError(
                        f"the file ends inside record {cut} ({size}-byte records): "
                        "the download is incomplete; re-download it",
                        path=str(path),
                    )
                arr = np.frombuffer(data, dtype=dtype)
                _check_lengths(arr, size, path, offset)
                yield header, arr
                offset += len(arr)
    except zstandard.ZstdError as exc:
        raise ParseError(
            f"zstd stream is corrupt ({exc}); re-download the file", path=str(path)
        ) from None


def _check_lengths(arr: np.ndarray, size: int, path: Path, offset: int) -> None:
    # The length byte counts 4-byte words of the whole record.
    expected = size // 4
    wrong = np.flatnonzero(arr["length"] != expected)
    if wrong.size:
        first = int(wrong[0])
        raise ParseError(
            f"record {offset + first} has length {int(arr['length'][first]) * 4} bytes, "
            f"expected {size} for this schema: the file mixes record types, which batch "
            "downloads never do; split it by schema",
            path=str(path),
        )
