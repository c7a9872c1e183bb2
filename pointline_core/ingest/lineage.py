"""Stage: lineage. Every row carries the file it came from and its 0-based row number there,
so (file_id, file_seq) is unique in every table and traces a row to one Bronze line."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def with_lineage(frame: pl.DataFrame, file_id: int, offset: int) -> pl.DataFrame:
    """Add ``file_id`` and ``file_seq`` (``offset`` = rows of the file before this batch)."""
    return frame.with_columns(
        file_id=pl.lit(file_id, pl.Int64),
        file_seq=pl.int_range(offset, offset + frame.height, dtype=pl.Int64),
    )


def with_lineage_of_parts(
    frame: pl.DataFrame, parts: Sequence[tuple[int, int, int]]
) -> pl.DataFrame:
    """:func:`with_lineage` for a concatenation of batches of many files, in one pass.

    ``parts`` are ``(file_id, offset, height)`` of the concatenated batches in order. One
    expression over the whole frame replaces one polars query per batch, which is what a unit
    of thousands of small files would otherwise spend most of its per-file time on."""
    if not parts:
        return with_lineage(frame, 0, 0)
    ids, offsets, heights = (pl.Series(v, dtype=pl.Int64) for v in zip(*parts, strict=True))
    lineage = pl.select(
        file_id=ids.repeat_by(heights).explode(),
        file_seq=pl.int_ranges(offsets, offsets + heights, dtype=pl.Int64).explode(),
    ).drop_nulls()  # a zero-height part explodes to one null row
    return frame.with_columns(lineage.get_column("file_id"), lineage.get_column("file_seq"))
