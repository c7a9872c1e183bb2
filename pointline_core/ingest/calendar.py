"""Stage: trading_date = the exchange-local calendar day of ts_event_us."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl


class UnknownExchangeInData(Exception):
    """Rows name an exchange no plugin declared (the file fails with ``unknown_exchange``)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            f"unknown_exchange: {', '.join(names)} not declared by any installed plugin "
            "(add it to the plugin's pointline_exchanges hook)"
        )
        self.names = names


def local_date(ts_us: pl.Expr, timezone: str) -> pl.Expr:
    return (
        pl.from_epoch(ts_us, time_unit="us")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(timezone)
        .dt.date()
    )


def with_trading_date(
    frame: pl.DataFrame, timezones: Mapping[str, str], reason_column: str = "_reject_reason"
) -> pl.DataFrame:
    """Add ``trading_date``; raise :class:`UnknownExchangeInData` for undeclared exchanges.

    A batch usually holds one exchange, so this builds one when/then branch per exchange
    present, not per row.
    """
    present = frame.get_column("exchange").drop_nulls().unique().sort().to_list()
    unknown = [name for name in present if name not in timezones]
    if unknown and reason_column in frame.columns:
        # Rows the plugin already rejected (for example for a bad exchange value) go to
        # quarantine with that reason; only unflagged rows can doom the whole file.
        flagged = frame.filter(pl.col(reason_column).is_null())
        unknown = sorted(set(unknown) & set(flagged.get_column("exchange").drop_nulls()))
    if unknown:
        raise UnknownExchangeInData(unknown)
    present = [name for name in present if name in timezones]
    ts = pl.col("ts_event_us")
    if not present:
        expr = pl.lit(None, pl.Date)
    else:
        expr = pl.when(pl.col("exchange") == present[0]).then(local_date(ts, timezones[present[0]]))
        for name in present[1:]:
            expr = expr.when(pl.col("exchange") == name).then(local_date(ts, timezones[name]))
        expr = expr.otherwise(pl.lit(None, pl.Date))
    return frame.with_columns(trading_date=expr)
