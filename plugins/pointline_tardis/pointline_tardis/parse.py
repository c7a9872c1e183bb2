"""Streaming CSV reading of Tardis files: bounded batches, in file order.

The file is decompressed incrementally with ISA-L's gzip reader (:mod:`isal.igzip`, the
format of :mod:`gzip`, inflated ~2.6x faster; plain ``.csv`` is read as is), cut
into blocks at line boundaries, and each block is parsed by ``pl.read_csv`` with an explicit
schema built from the header *names*. At most one block plus one output batch is in memory,
whatever the file size. (``pl.scan_csv(...).collect_batches()`` streams gzip too in polars 2;
reading the blocks here is what lets every line's field count be checked and a bad line be
reported with its line number, and blank lines be told apart from empty cells.)

Timestamps, prices and sizes are read typed (:func:`.canonical.read_schema`): the CSV
reader makes the numbers directly instead of text that is cast later. A block with a cell
the typed read refuses is read again as text, and so is the rest of its file: then typing
and value checks happen in :mod:`.canonical`, where a bad value flags one row instead of
failing the whole file. What fails the whole file here, with a
:class:`~pointline_core.errors.ParseError` naming the file, line and column:

* a header with an unknown, missing or duplicated column;
* a data line whose field count differs from the header's;
* bytes that are not gzip / UTF-8, or a truncated gzip stream.

A zero-byte file, an empty gzip stream, or a header without rows yields no batch (zero rows).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import polars as pl
from isal import igzip, isal_zlib

from pointline_core.errors import ParseError
from pointline_tardis.canonical import read_schema
from pointline_tardis.formats import (
    COMMON_COLUMNS,
    DATA_TYPES,
    SNAPSHOT_DEPTH,
    expected_columns,
    parse_level_column,
    required_columns,
)

_GZIP_MAGIC = b"\x1f\x8b"
_MIN_BLOCK = 1 << 16
_MAX_BLOCK = 1 << 28
_GUESS_BYTES_PER_ROW = 128
_NEWLINE_BYTES = frozenset(b"\r\n")


#: What reading a truncated or corrupt (gzip) file raises.
_READ_ERRORS = (EOFError, OSError, isal_zlib.error)


def _unreadable(exc: BaseException, path: str) -> ParseError:
    return ParseError(
        f"cannot decompress/read the file ({type(exc).__name__}: {exc}); the download is "
        "probably truncated or corrupt: download it again",
        path=path,
    )


def open_binary(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing gzip (detected by its magic number)."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, closed by it
    magic = raw.read(2)
    raw.seek(0)
    if magic == _GZIP_MAGIC:
        # ISA-L inflates the same gzip ~2.6x faster than zlib (a 2M-row book file, 169 MB
        # decoded: 0.60 s -> 0.23 s), and decompression is on every batch's critical path.
        return igzip.IGzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _expected_summary(data_type: str) -> str:
    if data_type in SNAPSHOT_DEPTH:
        depth = SNAPSHOT_DEPTH[data_type]
        return (
            f"{', '.join(COMMON_COLUMNS)} and level columns asks[i].price, asks[i].amount, "
            f"bids[i].price, bids[i].amount for i = 0..{depth - 1}"
        )
    return ", ".join(expected_columns(data_type))


def validate_header(data_type: str, header: list[str], path: str) -> None:
    """Raise ParseError unless ``header`` is a valid header of ``data_type`` (by column name)."""
    if data_type not in DATA_TYPES:
        raise ParseError(f"unknown tardis data type {data_type!r}", path=path)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ParseError(
                f"duplicate column {name!r} in the header of a tardis {data_type} file; "
                "each column must appear once",
                path=path,
                line=1,
                column=name,
            )
        seen.add(name)
    allowed = set(expected_columns(data_type))
    for name in header:
        if name in allowed:
            continue
        hint = ""
        level = parse_level_column(name)
        if level is not None and data_type in SNAPSHOT_DEPTH:
            hint = f" (level {level[1]} is beyond the {SNAPSHOT_DEPTH[data_type]} levels)"
        raise ParseError(
            f"unknown column {name!r}{hint} in the header of a tardis {data_type} file; "
            f"expected {_expected_summary(data_type)}. Check that the file's data type is "
            "right (file name) or update pointline_tardis.formats if Tardis changed the format",
            path=path,
            line=1,
            column=name,
        )
    for name in required_columns(data_type):
        if name not in seen:
            raise ParseError(
                f"missing column {name!r} in the header of a tardis {data_type} file; "
                f"expected {_expected_summary(data_type)}",
                path=path,
                line=1,
                column=name,
            )
    if data_type in SNAPSHOT_DEPTH and not any(parse_level_column(n) for n in header):
        raise ParseError(
            f"missing column 'asks[0].price': a tardis {data_type} header needs at least one "
            "level column",
            path=path,
            line=1,
            column="asks[0].price",
        )


def _read_header(fh: BinaryIO, path: str) -> list[str] | None:
    line = fh.readline()
    if not line.strip():
        # Zero bytes, an empty gzip stream or a blank first line: no data.
        rest = fh.read(_MIN_BLOCK)
        if rest.strip():
            raise ParseError(
                "the first line is blank but the file has more content; a tardis CSV starts "
                "with its header line",
                path=path,
                line=1,
            )
        return None
    return _header_names(line, path)


def _header_names(line: bytes, path: str) -> list[str]:
    """The column names of a header line (a byte-order mark and the line end dropped)."""
    try:
        text = line.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ParseError(f"header is not UTF-8 text: {exc}", path=path, line=1) from None
    return next(csv.reader([text]))


def _locate_bad_line(data: bytes, ncols: int, first_line: int, path: str) -> None:
    """Slow path, only after a fast check failed: raise ParseError at the first bad line."""
    text = data.decode("utf-8", errors="replace")
    for offset, fields in enumerate(csv.reader(io.StringIO(text, newline=""))):
        if len(fields) != ncols:
            shown = ",".join(fields)
            raise ParseError(
                f"line has {len(fields)} fields but the header has {ncols} "
                f"({shown[:120]!r}); the file is truncated or not a valid tardis CSV",
                path=path,
                line=first_line + offset,
            )


def _locate_bad_utf8(data: bytes, first_line: int, path: str) -> None:
    """Raise ParseError at the line (and byte) of the first invalid UTF-8 sequence, if any."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.end]
        raise ParseError(
            f"invalid UTF-8 at byte {exc.start - line_start + 1} of the line "
            f"({exc.reason}: {bad!r}); the file is corrupt or not a tardis CSV (Tardis files "
            "are UTF-8): download it again",
            path=path,
            line=first_line + data.count(b"\n", 0, exc.start),
        ) from None


def _read_block(data: bytes, header: list[str], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.read_csv(
        data,
        has_header=False,
        new_columns=header,
        schema=schema,
        empty_string_is_null=True,
        raise_if_empty=False,
        quote_char='"',
    )


def _parse_block(
    data: bytes,
    header: list[str],
    first_line: int,
    path: str,
    typed: dict[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """One block of whole lines as a frame: read with the ``typed`` schema when given and
    every cell fits it, else as text (every column String)."""
    frame = None
    if typed is not None:
        try:
            frame = _read_block(data, header, typed)
        except pl.exceptions.PolarsError:
            pass  # a cell that is not a number (or a broken line): the text read says which
    if frame is None:
        try:
            frame = _read_block(data, header, dict.fromkeys(header, pl.String()))
        except pl.exceptions.PolarsError as exc:
            _locate_bad_line(data, len(header), first_line, path)
            _locate_bad_utf8(data, first_line, path)
            raise ParseError(
                f"polars could not read lines {first_line}..: {exc}", path=path, line=first_line
            ) from None
    if _short_line(frame, data, header):
        _locate_bad_line(data, len(header), first_line, path)
    return frame


def _short_line(frame: pl.DataFrame, data: bytes, header: list[str]) -> bool:
    """Structural check: every line has exactly len(header) - 1 separators. Blank or short
    lines would otherwise become silent null cells. Such a line leaves its last cell null
    (a line with too many fields fails read_csv), so the count over the whole block (~15%
    of the parse time of a book file) runs only when the last column has a null."""
    last_null = frame.height and frame.get_column(header[-1]).null_count()
    return bool(last_null) and data.count(b",") != (len(header) - 1) * frame.height


class _Blocks:
    """Blocks of whole lines from a byte stream; ``size`` may change between blocks."""

    def __init__(self, fh: BinaryIO, size: int, path: str) -> None:
        self.fh = fh
        self.size = size
        self.path = path

    def _read(self, whole_line: bool = False) -> bytes:
        try:
            return self.fh.readline() if whole_line else self.fh.read(self.size)
        except _READ_ERRORS as exc:
            raise _unreadable(exc, self.path) from None

    def __iter__(self) -> Iterator[bytes]:
        blanks = b""  # blank lines held back from the end of the previous block
        while True:
            block = self._read()
            if not block:
                return  # blank lines at the very end of the file are not rows
            if not block.endswith(b"\n"):
                block += self._read(whole_line=True)  # complete the last line (one copy)
            if blanks:
                block = blanks + block
                blanks = b""
            end = len(block)
            while end and block[end - 1] in _NEWLINE_BYTES:
                end -= 1
            if end == 0:
                blanks = block
                continue
            newline = block.find(b"\n", end)
            if newline != -1 and newline + 1 < len(block):
                # Hold back trailing blank lines: dropped at the end of the file, passed on
                # (and failing as blank lines) if more content follows.
                blanks = block[newline + 1 :]
                block = block[: newline + 1]
            elif newline == -1:
                block += b"\n"  # last line of the file without a newline
            yield block


def _typed_schema(data_type: str, header: list[str]) -> dict[str, pl.DataType] | None:
    """The schema to read blocks with: numbers typed (:func:`.canonical.read_schema`), or
    None when every column is text anyway."""
    schema = read_schema(data_type, tuple(header))
    return schema if any(dtype != pl.String for dtype in schema.values()) else None


def read_batches(
    path: Path,
    data_type: str,
    batch_rows: int,
    block_bytes: int | None = None,
    *,
    numbers_typed: bool = True,
) -> Iterator[pl.DataFrame]:
    """Yield frames of at most ``batch_rows`` rows, columns named as the header: numbers
    typed (:func:`.canonical.read_schema`) while every cell so far fits, the rest String.

    ``block_bytes`` fixes the decompressed block size (tests use it to force many blocks);
    by default it adapts to about ``batch_rows`` rows per block. ``numbers_typed=False``
    reads every column as text: the reference the typed read is tested against.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be >= 1, got {batch_rows}")
    with open_binary(path) as fh:
        yield from _stream_batches(fh, str(path), data_type, batch_rows, block_bytes, numbers_typed)


def _stream_batches(
    fh: BinaryIO,
    where: str,
    data_type: str,
    batch_rows: int,
    block_bytes: int | None,
    numbers_typed: bool,
) -> Iterator[pl.DataFrame]:
    """:func:`read_batches` of an open byte stream (``where`` names it in errors)."""
    try:
        header = _read_header(fh, where)
    except _READ_ERRORS as exc:
        raise _unreadable(exc, where) from None
    if header is None:
        return
    validate_header(data_type, header, where)
    typed = _typed_schema(data_type, header) if numbers_typed else None
    adaptive = block_bytes is None
    size = block_bytes or max(_MIN_BLOCK, min(batch_rows * _GUESS_BYTES_PER_ROW, _MAX_BLOCK))
    blocks = _Blocks(fh, size, where)
    pending: list[pl.DataFrame] = []
    pending_rows = 0
    next_line = 2
    for data in blocks:
        frame = _parse_block(data, header, next_line, where, typed)
        if typed is not None and frame.schema != typed:
            # A cell the typed read refused: the rest of the file is read as text (it
            # likely has more), and the typed rows so far go out as their own batch.
            typed = None
            if pending:
                yield pl.concat(pending) if len(pending) > 1 else pending[0]
                pending, pending_rows = [], 0
        # A parsed block has one line per row (blank and short lines fail above) unless a
        # quoted cell spans lines; only then count them (a full scan of every block was
        # ~2% of a book file's parse). Line numbers are for error messages only.
        next_line += data.count(b"\n") if b'"' in data else frame.height
        if adaptive and frame.height:
            per_row = len(data) / frame.height
            blocks.size = max(_MIN_BLOCK, min(int(batch_rows * per_row), _MAX_BLOCK))
        pending.append(frame)
        pending_rows += frame.height
        while pending_rows >= batch_rows:
            merged = pl.concat(pending, rechunk=False) if len(pending) > 1 else pending[0]
            yield merged.slice(0, batch_rows)
            rest = merged.slice(batch_rows)
            pending = [rest] if rest.height else []
            pending_rows = rest.height
    if pending_rows:
        yield pl.concat(pending) if len(pending) > 1 else pending[0]


def read_files(
    files: Sequence[tuple[Path, str]], batch_rows: int
) -> list[list[pl.DataFrame]] | None:
    """``pointline_parse_files``: the batches :func:`read_batches` yields for each (path, data
    type), reading the rows of many small files with one ``pl.read_csv`` per header instead of
    one per file (a read costs ~0.5 ms whatever its size: most of a 200-row file's parse).

    Files of the simple, common shape are read together: no quote character, no carriage
    return, no blank line, at least one row. Any other file is read alone by
    :func:`read_batches`. ``None`` (decline) when the joint read finds a cell or line it cannot
    read: the runner then parses each file alone, so the bad one fails with its own line.
    Header errors raise as in :func:`read_batches`. Meant for files the runner holds whole
    anyway (its units of small files); the joint bytes of a call are all in memory at once.
    """
    out: list[list[pl.DataFrame]] = [[] for _ in files]
    #: (data type, header) -> (file index, body, its line count)
    groups: dict[tuple[str, tuple[str, ...]], list[tuple[int, bytes, int]]] = {}
    for i, (path, data_type) in enumerate(files):
        where = str(path)
        data = _whole(path)
        end = data.find(b"\n")
        body = data[end + 1 :] if end >= 0 else b""
        if not body.strip() or b'"' in data or b"\r" in data or b"\n\n" in body:
            # an odd file: read alone, from the bytes already in hand
            stream = _stream_batches(io.BytesIO(data), where, data_type, batch_rows, None, True)
            out[i] = list(stream)
            continue
        header = _header_names(data[:end], where)
        validate_header(data_type, header, where)
        body = body if body.endswith(b"\n") else body + b"\n"
        groups.setdefault((data_type, tuple(header)), []).append((i, body, body.count(b"\n")))
    for (data_type, header), members in groups.items():
        frame = _read_joint(data_type, list(header), [(b, n) for _, b, n in members])
        if frame is None:
            return None
        at = 0
        for i, _, rows in members:
            one = frame.slice(at, rows)
            out[i] = [one.slice(k, batch_rows) for k in range(0, rows, batch_rows)]
            at += rows
    return out


def _whole(path: Path) -> bytes:
    try:
        with open_binary(path) as fh:
            return fh.read()
    except _READ_ERRORS as exc:
        raise _unreadable(exc, str(path)) from None


def _read_joint(
    data_type: str, header: list[str], bodies: list[tuple[bytes, int]]
) -> pl.DataFrame | None:
    """The rows of ``bodies`` (whole lines of files sharing ``header``, with their line
    counts) in one read, typed as one file's would be; None if any cell or line needs a
    file's own read."""
    data = b"".join(body for body, _ in bodies)
    typed = _typed_schema(data_type, header)
    try:
        frame = _read_block(data, header, typed or dict.fromkeys(header, pl.String()))
    except pl.exceptions.PolarsError:
        return None
    if frame.height != sum(lines for _, lines in bodies) or _short_line(frame, data, header):
        return None  # a blank or short line: its file's own read names it
    return frame
