"""Symbol history as a set of observations; ``dim_symbol`` is a pure function of that set.

The model (docs/storage.md, "What a symbols import means"):

* every row of a symbols file states facts about one (exchange, exchange_symbol):
  *listed* with these attributes from ``valid_from`` on, and, when ``valid_until`` is given,
  *delisted* from ``valid_until`` on;
* an import adds its facts to ``control/symbol_observations`` (a set: a fact already known
  is not added again); ``--replace`` first forgets every fact of the symbols the file names
  (how a vendor's correction of an earlier history is applied);
* at any instant a symbol has the attributes of its latest observation at or before that
  instant, or is not listed when that observation is a delisting (or there is none). At one
  instant a listing beats a delisting, so ``[a, t)`` followed by ``[t, b)`` is contiguous;
* the windows of dim_symbol are the maximal runs of equal attributes of that function, so
  ``symbol_id`` (a hash of exchange, symbol and window start) is a function of the facts.

Because the facts form a set, an import applied twice is applied once, and imports commute:
any order of the same imports gives the same dim_symbol. Two imports that state different
attributes for the same symbol at the same instant contradict each other; the second is
refused unless it replaces the symbol's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from pointline_core.errors import SymbolDataError
from pointline_core.schemas.tables import SYMBOL_OBSERVATIONS
from pointline_core.storage.delta import read_table, replace_exchange_rows
from pointline_core.storage.lake import Lake

KEY = ("exchange", "exchange_symbol")
TEXT_ATTRIBUTES = ("asset_class", "base_asset", "quote_asset")
DECIMAL_ATTRIBUTES = ("tick_size", "lot_size", "contract_size")
ATTRIBUTES = TEXT_ATTRIBUTES + DECIMAL_ATTRIBUTES
LISTED, DELISTED = "listed", "delisted"
#: valid_until_ts_us of a window that is still open (the largest Int64).
OPEN_END_US = 2**63 - 1


def iso_us(ts_us: int | None) -> str:
    """µs since epoch as ISO text (UTC) for messages; the open end reads 'open'."""
    if ts_us is None:
        return "null"
    if ts_us >= OPEN_END_US:
        return "open"
    try:
        moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ts_us)
    except OverflowError:
        return f"{ts_us} µs"
    return moment.isoformat().replace("+00:00", "Z")


def _rows_text(frame: pl.DataFrame, ts_columns: tuple[str, ...]) -> str:
    """First five rows of (exchange, symbol, times...) as readable text."""
    parts = []
    for row in frame.head(5).iter_rows(named=True):
        times = ", ".join(f"{c}={iso_us(row[c])}" for c in ts_columns)
        parts.append(f"{row['exchange']}:{row['exchange_symbol']} ({times})")
    return "; ".join(parts)


def observations_from_windows(windows: pl.DataFrame, source: str = "symbol rows") -> pl.DataFrame:
    """Windows (normalised symbol rows or dim_symbol rows) -> observations.

    A window listed from ``valid_from`` and, if it ends, delisted at ``valid_until``. Windows
    of one symbol in one source must not overlap (a later start before an earlier end is
    ambiguous: :class:`SymbolDataError` names the rows).
    """
    key = list(KEY)
    ordered = windows.sort(*key, "valid_from_ts_us").with_columns(
        _next=pl.col("valid_from_ts_us").shift(-1).over(key)
    )
    ends = pl.col("valid_until_ts_us").fill_null(pl.col("_next")).fill_null(OPEN_END_US)
    # An open row lasts until the next row of its symbol; only an explicit end can overlap.
    overlap = ordered.filter(pl.col("_next").is_not_null() & (ends > pl.col("_next")))
    if overlap.height:
        raise SymbolDataError(
            f"{source}: symbol rows overlap: a window ends after the next window of the same "
            f"symbol starts, for {_rows_text(overlap, ('valid_from_ts_us', 'valid_until_ts_us'))}"
            "; end each window at or before the next valid_from of that symbol, or leave "
            "valid_until empty"
        )
    listed = ordered.select(
        *key,
        pl.col("valid_from_ts_us").alias("ts_us"),
        pl.lit(LISTED).alias("kind"),
        *ATTRIBUTES,
    )
    explicit_end = pl.col("valid_until_ts_us").is_not_null()
    delisted = ordered.filter(explicit_end & (pl.col("valid_until_ts_us") < OPEN_END_US)).select(
        *key,
        pl.col("valid_until_ts_us").alias("ts_us"),
        pl.lit(DELISTED).alias("kind"),
        *(pl.lit(None, listed.schema[c]).alias(c) for c in ATTRIBUTES),
    )
    return canonical_observations(pl.concat([listed, delisted]))


def canonical_observations(obs: pl.DataFrame) -> pl.DataFrame:
    """Observations in the table's dtypes and order, each fact once."""
    schema = SYMBOL_OBSERVATIONS.polars_schema()
    return (
        obs.select(SYMBOL_OBSERVATIONS.column_names)
        .cast(dict(schema))
        .unique()
        .sort(list(SYMBOL_OBSERVATIONS.tie_break), nulls_last=True)
    )


def check_conflicts(obs: pl.DataFrame, source: str = "symbol rows") -> None:
    """Refuse two listings of one symbol at one instant with different attributes."""
    listed = obs.filter(pl.col("kind") == LISTED).unique()
    clash = listed.filter(pl.struct(*KEY, "ts_us").is_duplicated())
    if clash.height:
        rows = clash.select(*KEY, "ts_us").unique().sort(*KEY, "ts_us")
        raise SymbolDataError(
            f"{source}: contradicts symbol facts already imported: different attributes for "
            f"the same symbol and valid_from: {_rows_text(rows, ('ts_us',))}. If the new file "
            "corrects the vendor's history, import it with --replace (its symbols' earlier "
            "facts are forgotten); otherwise fix the file"
        )


def derive_windows(obs: pl.DataFrame) -> pl.DataFrame:
    """The dim_symbol windows (without symbol_id) the observations imply.

    Columns: exchange, exchange_symbol, valid_from_ts_us, valid_until_ts_us, attributes;
    sorted by symbol and start. Vectorised: one sort, shifts over the symbol, one group_by.
    """
    key = list(KEY)
    # At one instant a listing beats a delisting.
    has_listing = (pl.col("kind") == LISTED).any().over(*key, "ts_us")
    facts = obs.filter((pl.col("kind") == LISTED) | ~has_listing).unique().sort(*key, "ts_us")
    facts = facts.with_columns(
        _end=pl.col("ts_us").shift(-1).over(key).fill_null(pl.lit(OPEN_END_US, pl.Int64))
    )
    listed = pl.col("kind") == LISTED
    prev_listed = listed.shift(1).over(key).fill_null(False)
    differs = pl.any_horizontal(
        *(pl.col(c).ne_missing(pl.col(c).shift(1).over(key)) for c in ATTRIBUTES)
    )
    starts = listed & (~prev_listed | differs)
    runs = facts.with_columns(_run=starts.cast(pl.Int64).cum_sum().over(key)).filter(listed)
    return (
        runs.group_by(*key, "_run", maintain_order=True)
        .agg(
            valid_from_ts_us=pl.col("ts_us").first(),
            valid_until_ts_us=pl.col("_end").last(),
            **{c: pl.col(c).first() for c in ATTRIBUTES},
        )
        .drop("_run")
        .sort(*key, "valid_from_ts_us")
    )


def merge_observations(
    known: pl.DataFrame, incoming: pl.DataFrame, *, replace: bool, source: str
) -> pl.DataFrame:
    """The observation set after an import: ``known`` plus ``incoming``, or (``replace``)
    ``incoming`` instead of the known facts of the symbols it names. Both frames hold the
    observations of the touched symbols only."""
    base = known.join(incoming.select(KEY).unique(), on=list(KEY), how="anti") if replace else known
    merged = canonical_observations(pl.concat([base, incoming]))
    check_conflicts(merged, source)
    return merged


class ObservationStore:
    """``<lake>/control/symbol_observations``: every symbol fact imported (a set)."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.path = lake.table_path(SYMBOL_OBSERVATIONS.name, "control")
        self.spec = SYMBOL_OBSERVATIONS

    def frame(self, exchanges: Sequence[str] | None = None) -> pl.DataFrame:
        """Observations (of ``exchanges``), an empty frame if the table is missing."""
        filter_expr = None if exchanges is None else pl.col("exchange").is_in(list(exchanges))
        return canonical_observations(read_table(self.path, self.spec, filter_expr=filter_expr))

    def replace_exchanges(self, exchanges: Sequence[str], rows: pl.DataFrame) -> None:
        """Make ``rows`` the observations of ``exchanges`` in one commit."""
        replace_exchange_rows(self.path, self.spec, exchanges, canonical_observations(rows))
