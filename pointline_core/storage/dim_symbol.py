"""``dim_symbol``: the SCD type 2 symbol dimension and its point-in-time lookup.

Every row is a window ``[valid_from_ts_us, valid_until_ts_us)`` during which an
(exchange, exchange_symbol) had one set of attributes; an open window ends at
:data:`OPEN_END_US`. ``symbol_id`` is a deterministic signed 64-bit hash of (exchange,
exchange_symbol, valid_from_ts_us), so the same history gives the same ids on any machine.

The windows are derived, never edited: a symbols import adds facts to
``control/symbol_observations`` and the touched symbols' windows are recomputed from all
their facts (:mod:`pointline_core.storage.symbol_history` states the model). So an import
applied twice changes nothing the second time and imports commute. A window may move or end
when new facts arrive (a backfill that starts earlier, a late delisting, a late split): rows
already stamped with its id are then restamped by :func:`pointline_core.symbols.apply_symbols`
in the same operation (:mod:`pointline_core.storage.restamp`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

import attrs
import polars as pl

from pointline_core.errors import SymbolDataError
from pointline_core.fixedpoint import encode, encode_reason
from pointline_core.schemas.tables import DIM_SYMBOL
from pointline_core.storage.delta import open_table, read_table, replace_exchange_rows
from pointline_core.storage.lake import Lake
from pointline_core.storage.symbol_history import (
    ATTRIBUTES,
    DECIMAL_ATTRIBUTES,
    KEY,
    OPEN_END_US,
    TEXT_ATTRIBUTES,
    ObservationStore,
    canonical_observations,
    derive_windows,
    iso_us,
    merge_observations,
    observations_from_windows,
)

TABLE = DIM_SYMBOL.name
LOCK_NAME = "silver-dim_symbol"
#: Columns a symbols file (or a vendor's symbol rows) may carry.
INPUT_COLUMNS = (*KEY, "valid_from", "valid_until", *ATTRIBUTES)
#: The columns a vendor's ``pointline_read_symbols`` returns (times as µs; null until = open).
SYMBOL_ROW_COLUMNS = (*KEY, "valid_from_ts_us", "valid_until_ts_us", *ATTRIBUTES)
_TS_ALIASES = {"valid_from_ts_us": "valid_from", "valid_until_ts_us": "valid_until"}


@attrs.frozen(slots=True)
class PartitionRef:
    """One (exchange, trading_date) partition of an event table."""

    exchange: str
    trading_date: dt.date


@attrs.frozen(slots=True)
class TableRestamp:
    """What keeping one event table consistent with dim_symbol did (or would do).

    ``rows_restamped``: rows that got the id of the window now covering them;
    ``rows_quarantined``: rows no window covers any more, moved to quarantine as
    ``symbol_not_covered``; ``quarantined_now_covered``: rows quarantined earlier as
    ``symbol_not_covered`` that a window now covers (``pointline ingest --retry-quarantined``
    lands them); ``partitions``: the partitions holding the rows restamped or quarantined
    (sorted), the only ones a restamp rewrites.
    """

    table: str
    rows_restamped: int = 0
    rows_quarantined: int = 0
    quarantined_now_covered: int = 0
    partitions: tuple[PartitionRef, ...] = ()


@attrs.frozen(slots=True)
class WindowChange:
    """One dim_symbol window an import opened, closed, changed or removed: its id and span
    before (``old_*``, None when opened) and after (``new_*``, None when removed), in µs
    since the epoch; an open end is None."""

    exchange: str
    symbol: str
    symbol_id: int
    change: str  # opened | closed | changed | removed
    old_valid_from_us: int | None
    old_valid_until_us: int | None
    new_valid_from_us: int | None
    new_valid_until_us: int | None


def _window_changes(
    opened: pl.DataFrame, edited: pl.DataFrame, removed: pl.DataFrame
) -> tuple[WindowChange, ...]:
    span = ("valid_from_ts_us", "valid_until_ts_us")
    none = pl.lit(None, pl.Int64)

    def until(name: str) -> pl.Expr:  # an open end is None, not the sentinel
        return pl.when(pl.col(name) < OPEN_END_US).then(pl.col(name))

    frames = [
        opened.select(
            "exchange",
            "exchange_symbol",
            "symbol_id",
            change=pl.lit("opened"),
            old_from=none,
            old_until=none,
            new_from=span[0],
            new_until=until(span[1]),
        ),
        edited.select(
            "exchange",
            "exchange_symbol",
            "symbol_id",
            change=pl.when(
                (pl.col(span[1]) == OPEN_END_US) & (pl.col(f"{span[1]}_new") < OPEN_END_US)
            )
            .then(pl.lit("closed"))
            .otherwise(pl.lit("changed")),
            old_from=span[0],
            old_until=until(span[1]),
            new_from=f"{span[0]}_new",
            new_until=until(f"{span[1]}_new"),
        ),
        removed.select(
            "exchange",
            "exchange_symbol",
            "symbol_id",
            change=pl.lit("removed"),
            old_from=span[0],
            old_until=until(span[1]),
            new_from=none,
            new_until=none,
        ),
    ]
    rows = pl.concat(frames).sort("exchange", "exchange_symbol", "symbol_id")
    return tuple(WindowChange(*row) for row in rows.iter_rows())


@attrs.frozen(slots=True)
class SymbolApplyReport:
    """What applying symbol rows changed in dim_symbol and in the stored rows.

    ``windows_opened``: new windows; ``windows_closed``: open windows that got an end;
    ``windows_changed``: other edits of existing windows (a corrected end or attribute);
    ``windows_removed``: windows whose id is gone (merged into an earlier start, or no longer
    listed). ``observations_added``: facts the import added (0 when it repeated known facts).
    ``version`` is dim_symbol's new version, None when nothing changed (no commit) or on a
    dry run. ``restamp`` has one entry per event table holding rows of the touched symbols.
    ``changes`` lists every window counted as opened, closed, changed or removed.
    """

    table: str
    source: str | None
    rows_in: int
    symbols: int
    windows_opened: int
    windows_closed: int
    windows_changed: int
    windows_removed: int
    windows_unchanged: int
    rows_total: int
    version: int | None
    ignored_columns: tuple[str, ...] = ()
    observations_added: int = 0
    replace: bool = False
    dry_run: bool = False
    restamp: tuple[TableRestamp, ...] = ()
    changes: tuple[WindowChange, ...] = ()

    @property
    def rows_restamped(self) -> int:
        return sum(t.rows_restamped for t in self.restamp)

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.restamp)

    @property
    def quarantined_now_covered(self) -> int:
        return sum(t.quarantined_now_covered for t in self.restamp)


@attrs.frozen(slots=True)
class SymbolPlan:
    """An import worked out but not written: the report and the frames a commit writes.

    ``windows``: dim_symbol rows of the touched exchanges after the import; ``observations``:
    their observations; ``touched``: the (exchange, exchange_symbol) keys the import names.
    """

    report: SymbolApplyReport
    exchanges: tuple[str, ...]
    touched: pl.DataFrame = attrs.field(eq=False, repr=False)
    windows: pl.DataFrame = attrs.field(eq=False, repr=False)
    observations: pl.DataFrame = attrs.field(eq=False, repr=False)
    windows_changed: bool = False
    observations_changed: bool = False


def symbol_id(exchange: str, exchange_symbol: str, valid_from_ts_us: int) -> int:
    """Deterministic signed 64-bit id of a window (blake2b, never Python's salted hash)."""
    key = f"{exchange}\x1f{exchange_symbol}\x1f{int(valid_from_ts_us)}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True)


def _symbol_ids(frame: pl.DataFrame) -> pl.Series:
    # polars has no stable cryptographic hash expression (Expr.hash may change between
    # releases), so ids are computed in Python; only new windows of a dimension pass here.
    ids = [
        symbol_id(e, s, f)
        for e, s, f in zip(
            frame["exchange"], frame["exchange_symbol"], frame["valid_from_ts_us"], strict=True
        )
    ]
    return pl.Series("symbol_id", ids, dtype=pl.Int64)


# --- input normalisation --------------------------------------------------------------------

_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M")


def _time_us(name: str, dtype: pl.DataType) -> pl.Expr:
    """µs since epoch UTC from integer µs, Date, Datetime or ISO text (naive = UTC)."""
    col = pl.col(name)
    if dtype.is_integer():
        return col.cast(pl.Int64)
    if isinstance(dtype, pl.Datetime):
        aware = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col
        return aware.dt.convert_time_zone("UTC").dt.epoch("us")
    if isinstance(dtype, pl.Date):
        return col.cast(pl.Datetime("us")).dt.epoch("us")
    if dtype == pl.Null:
        return pl.lit(None, pl.Int64)
    text = (
        col.cast(pl.String)
        .str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]", "${1}T")
        .str.replace(r"Z$", "+00:00")
    )
    parsed = [
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", strict=False),
        text.str.to_datetime("%Y-%m-%dT%H:%M%:z", time_unit="us", strict=False),
        *(
            text.str.to_datetime(f, time_unit="us", time_zone="UTC", strict=False)
            for f in _DATETIME_FORMATS
        ),
        text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us", "UTC")),
    ]
    as_int = pl.when(text.str.contains(r"^-?\d+$")).then(text.cast(pl.Int64, strict=False))
    return pl.coalesce(as_int, *(p.dt.convert_time_zone("UTC").dt.epoch("us") for p in parsed))


def _bad_values(frame: pl.DataFrame, mask: pl.Expr, column: str) -> list[object]:
    return frame.filter(mask).get_column(column).head(5).to_list()


def _windows_text(frame: pl.DataFrame) -> str:
    """Up to five (exchange:symbol valid_from..valid_until) as ISO text for messages."""
    parts = []
    for row in frame.sort(*KEY, "valid_from_ts_us").head(5).iter_rows(named=True):
        span = iso_us(row["valid_from_ts_us"])
        if "valid_until_ts_us" in row:
            span += f" .. {iso_us(row['valid_until_ts_us'])}"
        parts.append(f"{row['exchange']}:{row['exchange_symbol']} {span}")
    return "; ".join(parts)


def normalize_symbol_rows(rows: pl.DataFrame, source: str = "symbol rows") -> pl.DataFrame:
    """Generic symbol rows -> windows in dim_symbol dtypes (no symbol_id yet).

    Accepts ``valid_from``/``valid_until`` or ``valid_from_ts_us``/``valid_until_ts_us``;
    raises :class:`SymbolDataError` naming the column and the first bad values.
    """
    rows = rows.rename({k: v for k, v in _TS_ALIASES.items() if k in rows.columns})
    missing = [c for c in (*KEY, "valid_from") if c not in rows.columns]
    if missing:
        raise SymbolDataError(
            f"{source}: missing required columns {missing}; a symbols file needs "
            f"{list(KEY)} and valid_from, optionally valid_until, {list(ATTRIBUTES)}"
        )
    for name in INPUT_COLUMNS:
        if name not in rows.columns:
            rows = rows.with_columns(pl.lit(None, pl.String).alias(name))
    spec = DIM_SYMBOL
    exprs = [pl.col(k).cast(pl.String).str.strip_chars().alias(k) for k in KEY]
    exprs += [
        _time_us("valid_from", rows.schema["valid_from"]).alias("valid_from_ts_us"),
        _time_us("valid_until", rows.schema["valid_until"]).alias("valid_until_ts_us"),
    ]
    exprs += [
        pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c)
        for c in TEXT_ATTRIBUTES
    ]
    scales = spec.fixed_point_columns()
    exprs += [encode(c, scales[c]).alias(c) for c in DECIMAL_ATTRIBUTES]
    reasons = [encode_reason(c, scales[c], c).alias(f"_why_{c}") for c in DECIMAL_ATTRIBUTES]
    checked = rows.with_columns(*reasons)
    out = checked.with_columns(exprs)
    for key in KEY:
        mask = pl.col(key).is_null() | (pl.col(key) == "")
        if out.select(mask.any()).item():
            raise SymbolDataError(
                f"{source}: {out.select(mask.sum()).item()} rows lack {key}; every row needs "
                f"{' and '.join(KEY)}"
            )
    for name, ts in (("valid_from", "valid_from_ts_us"), ("valid_until", "valid_until_ts_us")):
        text = pl.col(name).cast(pl.String).str.strip_chars()
        present = text.is_not_null() & (text != "")
        bad = present & pl.col(ts).is_null()
        if name == "valid_from":
            bad = bad | ~present
        if out.select(bad.any()).item():
            raise SymbolDataError(
                f"{source}: cannot read {name} {_bad_values(out, bad, name)}; use integer "
                "microseconds since epoch UTC or ISO dates/datetimes (naive means UTC)"
            )
    for c in DECIMAL_ATTRIBUTES:
        bad = pl.col(f"_why_{c}").is_not_null()
        if out.select(bad.any()).item():
            raise SymbolDataError(
                f"{source}: {c} values {_bad_values(checked, bad, c)} are not numbers or do not "
                f"fit fixed-point scale {scales[c]}; write plain decimals such as 0.01 (at most "
                f"{scales[c]} decimal places) or leave the cell empty"
            )
    inverted = pl.col("valid_until_ts_us") <= pl.col("valid_from_ts_us")
    if out.select(inverted.any()).item():
        bad = out.filter(inverted).select(*KEY, "valid_from_ts_us", "valid_until_ts_us")
        raise SymbolDataError(
            f"{source}: valid_until must be after valid_from; offending rows: {_windows_text(bad)}"
        )
    columns = [*KEY, "valid_from_ts_us", "valid_until_ts_us", *ATTRIBUTES]
    out = out.select(columns).unique(maintain_order=True)
    clash = out.filter(pl.struct(*KEY, "valid_from_ts_us").is_duplicated())
    if clash.height:
        raise SymbolDataError(
            f"{source}: several different rows for the same symbol and valid_from: "
            f"{_windows_text(clash.select(*KEY, 'valid_from_ts_us').unique())}; keep one"
        )
    return out


# --- windows ------------------------------------------------------------------------------


def finish_windows(windows: pl.DataFrame) -> pl.DataFrame:
    """Add symbol_id and is_current; dim_symbol column order and tie-break order."""
    windows = windows.with_columns(
        is_current=pl.col("valid_until_ts_us") == OPEN_END_US,
    )
    windows = windows.with_columns(_symbol_ids(windows))
    return (
        windows.select(DIM_SYMBOL.column_names)
        .cast(dict(DIM_SYMBOL.polars_schema()))
        .sort(list(DIM_SYMBOL.tie_break))
    )


# --- the store ------------------------------------------------------------------------------


class DimSymbolStore:
    """``<lake>/silver/dim_symbol``."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.path = lake.table_path(TABLE, "silver")
        self.spec = DIM_SYMBOL

    def frame(
        self, exchanges: Sequence[str] | None = None, *, version: int | None = None
    ) -> pl.DataFrame:
        """dim_symbol rows in tie-break order (an empty frame if the table is missing), at
        ``version`` when given (workers read the snapshot their driver pinned)."""
        filter_expr = None if exchanges is None else pl.col("exchange").is_in(list(exchanges))
        return read_table(self.path, self.spec, filter_expr=filter_expr, version=version).sort(
            list(self.spec.tie_break)
        )

    def version(self) -> int | None:
        """The table's current version, None when there is no table yet."""
        table = open_table(self.path)
        return None if table is None else table.version()

    def plan(
        self, rows: pl.DataFrame, *, source: str | None = None, replace: bool = False
    ) -> SymbolPlan:
        """Work out what importing ``rows`` changes, without writing (take the lock around
        plan + commit when they must see the same table)."""
        label = source or "symbol rows"
        ignored = tuple(c for c in rows.columns if c not in INPUT_COLUMNS and c not in _TS_ALIASES)
        incoming = normalize_symbol_rows(rows, label)
        facts = observations_from_windows(incoming, label)
        key = list(KEY)
        exchanges = tuple(incoming["exchange"].unique().sort().to_list())
        touched = incoming.select(key).unique().sort(key)
        current = self.frame(exchanges)
        old = current.join(touched, on=key, how="semi")
        all_obs = ObservationStore(self.lake).frame(exchanges)
        known = all_obs.join(touched, on=key, how="semi")
        # Lakes written before observations existed: a symbol with windows but no facts gets
        # the facts its windows state.
        unseeded = old.join(known.select(key).unique(), on=key, how="anti")
        known = canonical_observations(pl.concat([known, observations_from_windows(unseeded)]))
        merged = merge_observations(known, facts, replace=replace, source=label)
        new = finish_windows(derive_windows(merged))
        cols = list(self.spec.column_names)
        unchanged = old.join(new, on=cols, how="semi", nulls_equal=True)
        gone = old.join(new, on=cols, how="anti", nulls_equal=True)
        added = new.join(old, on=cols, how="anti", nulls_equal=True)
        opened = added.join(gone, on="symbol_id", how="anti")
        edited = gone.join(added, on="symbol_id", how="inner", suffix="_new")
        closed = edited.filter(
            (pl.col("valid_until_ts_us") == OPEN_END_US)
            & (pl.col("valid_until_ts_us_new") < OPEN_END_US)
        )
        removed = gone.join(added, on="symbol_id", how="anti")
        rest = current.join(touched, on=key, how="anti")
        windows = pl.concat([rest, new]).sort(list(self.spec.tie_break))
        observations = pl.concat([all_obs.join(touched, on=key, how="anti"), merged])
        obs_cols = list(merged.columns)
        report = SymbolApplyReport(
            table=TABLE,
            source=source,
            rows_in=rows.height,
            symbols=touched.height,
            windows_opened=opened.height,
            windows_closed=closed.height,
            windows_changed=edited.height - closed.height,
            windows_removed=removed.height,
            windows_unchanged=unchanged.height,
            rows_total=current.height - old.height + new.height,
            version=None,
            ignored_columns=ignored,
            observations_added=merged.join(known, on=obs_cols, how="anti", nulls_equal=True).height,
            replace=replace,
            changes=_window_changes(opened, edited, removed),
        )
        obs_changed = not merged.equals(known) or unseeded.height > 0
        return SymbolPlan(
            report,
            exchanges,
            touched,
            windows,
            observations,
            windows_changed=bool(gone.height or added.height),
            observations_changed=obs_changed,
        )

    def commit(self, plan: SymbolPlan) -> int | None:
        """Write a plan: observations first, then the windows derived from them (each one
        commit, only when changed). Returns dim_symbol's new version, None if unchanged."""
        if plan.observations_changed:
            ObservationStore(self.lake).replace_exchanges(plan.exchanges, plan.observations)
        if not plan.windows_changed:
            return None
        return replace_exchange_rows(self.path, self.spec, plan.exchanges, plan.windows)

    def apply(
        self, rows: pl.DataFrame, *, source: str | None = None, replace: bool = False
    ) -> SymbolApplyReport:
        """Merge symbol rows into dim_symbol in at most two commits; idempotent.

        This changes the dimension only; :func:`pointline_core.symbols.apply_symbols` also
        restamps stored rows whose window moved (use it on a lake that holds events).
        """
        with self.lake.lock(LOCK_NAME):
            plan = self.plan(rows, source=source, replace=replace)
            version = self.commit(plan)
        return attrs.evolve(plan.report, version=version)

    def rederive(self, keys: pl.DataFrame) -> int | None:
        """Recompute the windows of ``keys`` (exchange, exchange_symbol) from their
        observations and commit them if they differ (recovery after an interrupted import)."""
        key = list(KEY)
        if not keys.height:
            return None
        exchanges = tuple(keys["exchange"].unique().sort().to_list())
        with self.lake.lock(LOCK_NAME):
            current = self.frame(exchanges)
            obs = ObservationStore(self.lake).frame(exchanges).join(keys, on=key, how="semi")
            seeded = obs.select(key).unique()
            new = finish_windows(derive_windows(obs))
            rest = current.join(seeded, on=key, how="anti")
            windows = pl.concat([rest, new]).sort(list(self.spec.tie_break))
            if windows.equals(current):
                return None
            return replace_exchange_rows(self.path, self.spec, exchanges, windows)

    def import_file(self, path: Path, vendor_rows: pl.DataFrame | None = None) -> SymbolApplyReport:
        """Apply a generic CSV/Parquet symbols file (or rows a vendor plugin read from it) to
        the dimension only (:func:`pointline_core.symbols.import_symbols` also restamps)."""
        path = Path(path)
        rows = vendor_rows if vendor_rows is not None else read_symbols_file(path)
        return self.apply(rows, source=str(path))


def read_symbols_file(path: Path) -> pl.DataFrame:
    """A generic symbols file as text/typed columns. CSV is read as text so symbol codes
    keep leading zeros; Parquet keeps its types."""
    if not path.is_file():
        raise SymbolDataError(f"symbols file {path} does not exist or is not a file")
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return pl.read_parquet(path)
        if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
            sep = "\t" if name.endswith(".tsv") else ","
            return pl.read_csv(path, infer_schema=False, separator=sep)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SymbolDataError(f"cannot read symbols file {path}: {exc}") from exc
    raise SymbolDataError(
        f"symbols file {path}: unknown format; use .csv, .csv.gz, .tsv or .parquet, or pass "
        "--vendor to read a vendor's own instrument file"
    )


def resolve_symbol_ids(
    events: pl.DataFrame,
    dim: pl.DataFrame,
    *,
    exchange: str = "exchange",
    symbol: str = "symbol",
    ts: str = "ts_event_us",
) -> pl.Series:
    """The symbol_id whose window covers each (exchange, symbol, ts) row, else null.

    One as-of join (latest window start <= ts within the symbol) plus the half-open end check
    ``ts < valid_until``; row order of ``events`` is preserved.
    """
    single = _single_window_id(events, dim, exchange, symbol, ts)
    if single is not None:
        return pl.repeat(single, events.height, dtype=pl.Int64, eager=True).rename("symbol_id")
    left = events.select(
        _x=pl.col(exchange).cast(pl.String),
        _y=pl.col(symbol).cast(pl.String),
        _t=pl.col(ts).cast(pl.Int64),
    ).with_row_index("_row")
    right = dim.select(
        _x=pl.col("exchange"),
        _y=pl.col("exchange_symbol"),
        _from=pl.col("valid_from_ts_us"),
        _until=pl.col("valid_until_ts_us"),
        _id=pl.col("symbol_id"),
    ).sort("_from")
    known = left.filter(pl.col("_t").is_not_null()).sort("_t")
    # both sides are sorted on the as-of key; polars cannot verify it per `by` group
    hit = known.join_asof(
        right, left_on="_t", right_on="_from", by=["_x", "_y"], check_sortedness=False
    )
    hit = hit.select("_row", _id=pl.when(pl.col("_t") < pl.col("_until")).then(pl.col("_id")))
    out = left.select("_row").join(hit, on="_row", how="left", maintain_order="left")
    return out["_id"].rename("symbol_id").cast(pl.Int64)


def _single_window_id(
    events: pl.DataFrame, dim: pl.DataFrame, exchange: str, symbol: str, ts: str
) -> int | None:
    """The one symbol_id of a batch that holds a single (exchange, symbol) whose every
    timestamp lies in one window, else None. Most batches are like that (one Bronze file is
    usually one instrument), and this skips the sort and as-of join of the general path."""
    if not events.height:
        return None
    x, y = pl.col(exchange), pl.col(symbol)
    facts = events.select(
        x.first().cast(pl.String).alias("x"),
        y.first().cast(pl.String).alias("y"),
        ((x != x.first()).any() | (y != y.first()).any()).alias("mixed"),
        (x.null_count() + y.null_count() + pl.col(ts).null_count()).alias("nulls"),
        pl.col(ts).min().alias("lo"),
        pl.col(ts).max().alias("hi"),
    ).row(0, named=True)
    if facts["mixed"] or facts["nulls"]:
        return None
    hits = dim.filter(
        (pl.col("exchange") == facts["x"])
        & (pl.col("exchange_symbol") == facts["y"])
        & (pl.col("valid_from_ts_us") <= facts["lo"])
        & (pl.col("valid_until_ts_us") > facts["hi"])
    )
    return int(hits["symbol_id"][0]) if hits.height == 1 else None
