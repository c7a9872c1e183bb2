"""``pointline derive bars``: materialise ``gold/bars_<interval>`` from a Silver trades table.

One Gold partition per Silver partition (exchange, trading_date), each rebuilt from ONE
pinned Silver snapshot and replaced in ONE Delta commit (an overwrite with that partition's
predicate): a re-derived day replaces exactly that day, never duplicates it, and no other
partition changes. Every row records ``source_table`` and ``source_version``, the Silver
table and version it was built from; a partition whose recorded table and version equal the
current ones is skipped unless ``force`` (so re-running is a no-op, and a re-ingested day is
rebuilt when named).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs
import polars as pl

from pointline_core.errors import QueryError
from pointline_core.gold.specs import bars_spec
from pointline_core.query.bars import bar_frame, check_interval, source_spec
from pointline_core.query.loader import LakeLike, as_lake
from pointline_core.query.scan import check_exchanges, open_delta, scan_table
from pointline_core.query.specs import table_zone
from pointline_core.storage.delta import add_actions, partition_predicate, write_stream
from pointline_core.storage.lake import Lake, writer_lock


@attrs.frozen(slots=True)
class DerivedPartition:
    """One Gold partition: rebuilt (``rows`` written) or skipped (already at the version)."""

    exchange: str
    trading_date: dt.date
    source_version: int
    rows: int
    skipped: bool


@attrs.frozen(slots=True)
class DeriveReport:
    """What ``derive_bars`` did, per partition, in (exchange, trading_date) order."""

    table: str
    source_table: str
    partitions: tuple[DerivedPartition, ...]


def _silver_partitions(
    delta: object,
    exchanges: Sequence[str] | None,
    first: dt.date | None,
    last: dt.date | None,
) -> list[tuple[str, dt.date]]:
    actions = add_actions(delta)  # type: ignore[arg-type]
    if actions.height == 0:
        return []
    parts = actions.select(
        exchange=pl.col("partition.exchange"),
        trading_date=pl.col("partition.trading_date").cast(pl.Date),
    ).unique()
    if exchanges is not None:
        parts = parts.filter(pl.col("exchange").is_in(list(exchanges)))
    if first is not None:
        parts = parts.filter(pl.col("trading_date") >= first)
    if last is not None:
        parts = parts.filter(pl.col("trading_date") <= last)
    return parts.sort("exchange", "trading_date").rows()


def _lineage(lake: Lake, interval: str) -> dict[tuple[str, dt.date], tuple[str, int | None]]:
    """(exchange, trading_date) -> (source_table, source_version) its Gold rows were built
    from."""
    gold = bars_spec(interval)
    frame = (
        scan_table(open_delta(lake, gold), gold)
        .select("exchange", "trading_date", "source_table", "source_version")
        .unique()
        .collect()
    )
    return {(e, d): (t, v) for e, d, t, v in frame.rows()}


def derive_bars(
    lake: LakeLike,
    interval: str,
    *,
    table: str = "trades",
    exchange: str | Sequence[str] | None = None,
    first: dt.date | str | None = None,
    last: dt.date | str | None = None,
    force: bool = False,
) -> DeriveReport:
    """Build ``gold/bars_<interval>`` for the Silver partitions of ``table`` on ``exchange``
    (default all) with trading_date in ``[first, last]`` (inclusive; default all days)."""
    check_interval(interval)
    lake = as_lake(lake)
    source = source_spec(table)
    gold = bars_spec(interval)
    exchanges = (exchange,) if isinstance(exchange, str) else exchange
    first_day, last_day = _day(first, "--from"), _day(last, "--to")
    if first_day and last_day and last_day < first_day:
        raise QueryError(f"--to {last_day} is before --from {first_day}")
    done: list[DerivedPartition] = []
    with writer_lock(lake, f"derive {gold.name}"):
        delta = open_delta(lake, source)
        if delta is None:
            return DeriveReport(gold.name, source.name, ())
        check_exchanges(delta, source, exchanges)  # a mistyped exchange says so
        version = delta.version()
        known = _lineage(lake, interval)
        path = lake.table_path(gold.name, table_zone(gold))
        for ex, day in _silver_partitions(delta, exchanges, first_day, last_day):
            if not force and known.get((ex, day)) == (source.name, version):
                done.append(DerivedPartition(ex, day, version, 0, True))
                continue
            rows = scan_table(delta, source).filter(
                pl.col("exchange") == ex, pl.col("trading_date") == pl.lit(day, pl.Date)
            )
            bars = bar_frame(rows, source, interval, version).collect()
            exists = path.exists() and any(path.glob("_delta_log/*.json"))
            write_stream(
                path,
                gold,
                [bars],
                mode="overwrite" if exists else "append",
                predicate=partition_predicate({"exchange": ex, "trading_date": day.isoformat()})
                if exists
                else None,
            )
            done.append(DerivedPartition(ex, day, version, bars.height, False))
    return DeriveReport(gold.name, source.name, tuple(done))


def _day(value: dt.date | str | None, flag: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{flag} {value!r}: give a day as YYYY-MM-DD") from None
