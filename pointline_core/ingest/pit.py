"""Stage: point-in-time symbol_id. One as-of join per batch against dim_symbol; a row no
window covers is quarantined as ``symbol_not_covered`` (never silently dropped)."""

from __future__ import annotations

import polars as pl

from pointline_core.ingest.validate import REASON
from pointline_core.storage.dim_symbol import resolve_symbol_ids

SYMBOL_NOT_COVERED = "symbol_not_covered"


def with_symbol_ids(frame: pl.DataFrame, dim_symbol: pl.DataFrame) -> pl.DataFrame:
    """Add ``symbol_id``; rows without a window (and no earlier reason) get one."""
    return frame.with_columns(symbol_id=resolve_symbol_ids(frame, dim_symbol)).with_columns(
        pl.when(pl.col(REASON).is_null() & pl.col("symbol_id").is_null())
        .then(pl.lit(SYMBOL_NOT_COVERED))
        .otherwise(pl.col(REASON))
        .alias(REASON)
    )


def not_covered_detail() -> pl.Expr:
    """What the quarantine's ``detail`` says for an uncovered row."""
    return (
        pl.when(pl.col(REASON) == SYMBOL_NOT_COVERED)
        .then(
            pl.format(
                "no dim_symbol window for {}:{} at ts_event_us={}",
                pl.col("exchange"),
                pl.col("symbol"),
                pl.col("ts_event_us"),
            )
        )
        .otherwise(pl.lit(None, pl.String))
    )
