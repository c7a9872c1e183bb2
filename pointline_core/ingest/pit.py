"""Stage: point-in-time symbol_id. One as-of join per batch against dim_symbol; a row no
window covers is quarantined as ``symbol_not_covered`` (never silently dropped)."""

from __future__ import annotations

import polars as pl

from pointline_core.ingest.validate import ASSET_CLASS, REASON
from pointline_core.storage.dim_symbol import resolve_symbol_ids

SYMBOL_NOT_COVERED = "symbol_not_covered"


def resolve_ids(
    frame: pl.DataFrame, dim_symbol: pl.DataFrame, *, asset_class: bool = False
) -> pl.DataFrame:
    """Add ``symbol_id`` (null where no window covers the row) and, with ``asset_class``,
    the window's ``dim_symbol.asset_class`` as :data:`~.validate.ASSET_CLASS` for the rules
    that depend on the instrument class. No reason is set here (:func:`mark_not_covered`)."""
    frame = frame.with_columns(symbol_id=resolve_symbol_ids(frame, dim_symbol))
    if not asset_class:
        return frame
    classes = dim_symbol.select(
        pl.col("symbol_id"), pl.col("asset_class").cast(pl.String).alias(ASSET_CLASS)
    ).unique("symbol_id")
    return frame.join(classes, on="symbol_id", how="left", maintain_order="left")


def mark_not_covered(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows without a ``symbol_id`` (and no earlier reason) get ``symbol_not_covered``."""
    return frame.with_columns(
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
