"""Stage: lineage. Every row carries the file it came from and its 0-based row number there,
so (file_id, file_seq) is unique in every table and traces a row to one Bronze line."""

from __future__ import annotations

import polars as pl


def with_lineage(frame: pl.DataFrame, file_id: int, offset: int) -> pl.DataFrame:
    """Add ``file_id`` and ``file_seq`` (``offset`` = rows of the file before this batch)."""
    return frame.with_columns(
        file_id=pl.lit(file_id, pl.Int64),
        file_seq=pl.int_range(offset, offset + frame.height, dtype=pl.Int64),
    )
