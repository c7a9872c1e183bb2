"""Stage: trading_date = the exchange-local calendar day of ts_event_us."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl


def unknown_exchange_reason(names: list[str]) -> str:
    """The failure reason of a file whose rows name exchanges no plugin declared."""
    return (
        f"unknown_exchange: {', '.join(names)} not declared by any installed plugin "
        "(add it to the plugin's pointline_exchanges hook)"
    )


def local_date(ts_us: pl.Expr, timezone: str) -> pl.Expr:
    return (
        pl.from_epoch(ts_us, time_unit="us")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(timezone)
        .dt.date()
    )


def with_trading_date(frame: pl.DataFrame, timezones: Mapping[str, str]) -> pl.DataFrame:
    """Add ``trading_date``: the calendar day of ``ts_event_us`` in the exchange's timezone.

    A batch usually holds one exchange, so this builds one when/then branch per exchange
    present, not per row. Rows of an undeclared exchange get null (see
    :func:`unknown_exchanges`, which fails such files before this runs).
    """
    present = [
        name
        for name in frame.get_column("exchange").drop_nulls().unique().sort().to_list()
        if name in timezones
    ]
    ts = pl.col("ts_event_us")
    expr: pl.Expr = pl.lit(None, pl.Date)
    if present:
        chain = pl.when(pl.col("exchange") == present[0]).then(
            local_date(ts, timezones[present[0]])
        )
        for name in present[1:]:
            chain = chain.when(pl.col("exchange") == name).then(local_date(ts, timezones[name]))
        expr = chain.otherwise(pl.lit(None, pl.Date))
    return frame.with_columns(trading_date=expr)


def unknown_exchanges(
    frame: pl.DataFrame, timezones: Mapping[str, str], reason_column: str = "_reject_reason"
) -> dict[int, str]:
    """``{file_id: reason}`` for files whose unflagged rows name an undeclared exchange.

    Rows a plugin already rejected go to quarantine with their own reason instead.
    """
    unflagged = pl.col(reason_column).is_null() if reason_column in frame.columns else pl.lit(True)
    unknown = frame.filter(
        unflagged, pl.col("exchange").is_not_null() & ~pl.col("exchange").is_in(list(timezones))
    )
    if not unknown.height:
        return {}
    per_file = unknown.group_by("file_id").agg(pl.col("exchange").unique().sort())
    return {fid: unknown_exchange_reason(names) for fid, names in per_file.iter_rows()}
