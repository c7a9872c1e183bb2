"""``dim_symbol``: the SCD type 2 symbol dimension and its point-in-time lookup.

Every row is a window ``[valid_from_ts_us, valid_until_ts_us)`` during which an
(exchange, exchange_symbol) had one set of attributes; an open window ends at
:data:`OPEN_END_US`. ``symbol_id`` is a deterministic signed 64-bit hash of (exchange,
exchange_symbol, valid_from_ts_us), so the same history gives the same ids on any machine.

Applying rows (a snapshot or a history file) is a merge of timelines per symbol:

* incoming rows of one symbol are taken in ``valid_from`` order; a row without
  ``valid_until`` lasts until the next incoming row of that symbol, or until the next
  boundary (start or end) of a window already in the table, or forever;
* a row *with* ``valid_until`` ends there, and the symbol is not listed from then until the
  next existing window starts (an explicit end is how a delisting is recorded);
* incoming rows replace what the table said over the time they cover; everything else is
  kept; contiguous windows with identical attributes are merged into the earlier one, but
  an existing window's start is never moved, so ids already used by events stay valid.

So a changed tick_size in a snapshot closes the current window and opens a new one, the same
snapshot applied twice changes nothing, and an older snapshot applied late only fills the
time it describes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import attrs
import polars as pl

from pointline_core.errors import SymbolDataError
from pointline_core.fixedpoint import encode, encode_reason
from pointline_core.schemas.tables import DIM_SYMBOL
from pointline_core.storage.delta import open_table, read_table, sql_literal, write_stream
from pointline_core.storage.lake import Lake

TABLE = DIM_SYMBOL.name
LOCK_NAME = "silver-dim_symbol"
#: valid_until_ts_us of a window that is still open (the largest Int64).
OPEN_END_US = 2**63 - 1
KEY = ("exchange", "exchange_symbol")
TEXT_ATTRIBUTES = ("asset_class", "base_asset", "quote_asset")
DECIMAL_ATTRIBUTES = ("tick_size", "lot_size", "contract_size")
ATTRIBUTES = TEXT_ATTRIBUTES + DECIMAL_ATTRIBUTES
#: Columns a symbols file (or a vendor's symbol rows) may carry.
INPUT_COLUMNS = (*KEY, "valid_from", "valid_until", *ATTRIBUTES)
#: The columns a vendor's ``pointline_read_symbols`` returns (times as µs; null until = open).
SYMBOL_ROW_COLUMNS = (*KEY, "valid_from_ts_us", "valid_until_ts_us", *ATTRIBUTES)
_TS_ALIASES = {"valid_from_ts_us": "valid_from", "valid_until_ts_us": "valid_until"}


@attrs.frozen(slots=True)
class SymbolApplyReport:
    """What applying symbol rows changed in dim_symbol.

    ``windows_opened``: new windows; ``windows_closed``: open windows that got an end;
    ``windows_changed``: other edits of existing windows (a corrected end or attribute);
    ``windows_removed``: windows replaced by incoming rows. ``version`` is None when nothing
    changed (no commit).
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
            f"{source}: valid_until must be after valid_from; offending rows: {bad.head(5).rows()}"
        )
    columns = [*KEY, "valid_from_ts_us", "valid_until_ts_us", *ATTRIBUTES]
    out = out.select(columns).unique(maintain_order=True)
    clash = out.filter(pl.struct(*KEY, "valid_from_ts_us").is_duplicated())
    if clash.height:
        raise SymbolDataError(
            f"{source}: several different rows for the same symbol and valid_from: "
            f"{clash.select(*KEY, 'valid_from_ts_us').unique().head(5).rows()}; keep one"
        )
    return out


# --- timeline merge -------------------------------------------------------------------------


def _attrs_differ(prev: str) -> pl.Expr:
    """True where any attribute differs from the previous segment's (null-aware)."""
    return pl.any_horizontal(
        *(pl.col(c).ne_missing(pl.col(c).shift(1).over(prev)) for c in ATTRIBUTES)
    )


def merge_timelines(existing: pl.DataFrame, incoming: pl.DataFrame) -> pl.DataFrame:
    """The new windows (dim_symbol columns) of every symbol in ``incoming``.

    ``existing`` holds the current windows of those symbols; see the module docstring for the
    rules. Vectorised: breakpoints -> elementary segments -> as-of joins -> coalesce.
    """
    key = list(KEY)
    inc = incoming.sort(*key, "valid_from_ts_us").with_columns(
        _next_in=pl.col("valid_from_ts_us").shift(-1).over(key).fill_null(OPEN_END_US)
    )
    overlap = inc.filter(pl.col("valid_until_ts_us") > pl.col("_next_in"))
    if overlap.height:
        raise SymbolDataError(
            "symbol rows overlap: a window's valid_until is after the next window's "
            f"valid_from for {overlap.select(*key, 'valid_from_ts_us').head(5).rows()}; end "
            "each window at or before the next valid_from of that symbol, or leave valid_until "
            "empty"
        )
    ex = existing.select(*key, "valid_from_ts_us", "valid_until_ts_us", *ATTRIBUTES)
    bounds = (
        pl.concat(
            [
                ex.select(*key, _b=pl.col("valid_from_ts_us")),
                ex.select(*key, _b=pl.col("valid_until_ts_us")),
            ]
        )
        .filter(pl.col("_b") < OPEN_END_US)
        .unique()
        .sort("_b")
    )
    inc = (
        inc.sort("valid_from_ts_us")
        .join_asof(
            bounds,
            left_on="valid_from_ts_us",
            right_on="_b",
            by=key,
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .with_columns(_next_ex=pl.col("_b").fill_null(OPEN_END_US))
        .drop("_b")
    )
    explicit = pl.col("valid_until_ts_us").is_not_null()
    inc = inc.with_columns(
        _value_end=pl.when(explicit)
        .then(pl.col("valid_until_ts_us"))
        .otherwise(pl.min_horizontal("_next_in", "_next_ex"))
    ).with_columns(
        _auth_end=pl.min_horizontal("_next_in", pl.max_horizontal("_value_end", "_next_ex"))
    )
    points = (
        pl.concat(
            [
                bounds.rename({"_b": "_s"}),
                inc.select(*key, _s=pl.col("valid_from_ts_us")),
                inc.select(*key, _s=pl.col("_value_end")),
                inc.select(*key, _s=pl.col("_auth_end")),
                # the open end closes the last segment of every symbol
                inc.select(*key, _s=pl.lit(OPEN_END_US, pl.Int64)),
            ]
        )
        .unique()
        .sort(*key, "_s")
        .with_columns(_e=pl.col("_s").shift(-1).over(key))
        .filter(pl.col("_e").is_not_null())
        .sort("_s")
    )
    by_inc = points.join_asof(
        inc.select(*key, "valid_from_ts_us", "_value_end", "_auth_end", *ATTRIBUTES),
        left_on="_s",
        right_on="valid_from_ts_us",
        by=key,
        strategy="backward",
        check_sortedness=False,
    )
    in_auth = pl.col("valid_from_ts_us").is_not_null() & (pl.col("_s") < pl.col("_auth_end"))
    from_inc = by_inc.filter(in_auth).filter(pl.col("_s") < pl.col("_value_end"))
    rest = by_inc.filter(~in_auth).select(*key, "_s", "_e")
    from_ex = (
        rest.join_asof(
            ex.sort("valid_from_ts_us"),
            left_on="_s",
            right_on="valid_from_ts_us",
            by=key,
            strategy="backward",
            check_sortedness=False,
        )
        .filter(
            pl.col("valid_from_ts_us").is_not_null() & (pl.col("_s") < pl.col("valid_until_ts_us"))
        )
        .with_columns(_keep_start=pl.col("_s") == pl.col("valid_from_ts_us"))
    )
    segments = (
        pl.concat(
            [
                from_inc.select(*key, "_s", "_e", *ATTRIBUTES, _keep_start=pl.lit(False)),
                from_ex.select(*key, "_s", "_e", *ATTRIBUTES, "_keep_start"),
            ]
        )
        .sort(*key, "_s")
        .with_columns(_k=pl.concat_str(*key, separator="\x1f"))
    )
    starts = (
        (pl.col("_s") != pl.col("_e").shift(1).over("_k")).fill_null(True)
        | _attrs_differ("_k").fill_null(True)
        | pl.col("_keep_start")
    )
    windows = (
        segments.with_columns(_w=starts.cast(pl.Int64).cum_sum().over("_k"))
        .group_by(*key, "_w", maintain_order=True)
        .agg(
            valid_from_ts_us=pl.col("_s").first(),
            valid_until_ts_us=pl.col("_e").last(),
            **{c: pl.col(c).first() for c in ATTRIBUTES},
        )
        .drop("_w")
    )
    return finish_windows(windows)


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

    def frame(self, exchanges: Sequence[str] | None = None) -> pl.DataFrame:
        """dim_symbol rows in tie-break order (an empty frame if the table is missing)."""
        filter_expr = None if exchanges is None else pl.col("exchange").is_in(list(exchanges))
        return read_table(self.path, self.spec, filter_expr=filter_expr).sort(
            list(self.spec.tie_break)
        )

    def apply(self, rows: pl.DataFrame, *, source: str | None = None) -> SymbolApplyReport:
        """Merge symbol rows into dim_symbol (SCD2) in at most one commit; idempotent."""
        label = source or "symbol rows"
        ignored = tuple(c for c in rows.columns if c not in INPUT_COLUMNS and c not in _TS_ALIASES)
        incoming = normalize_symbol_rows(rows, label)
        key = list(KEY)
        with self.lake.lock(LOCK_NAME):
            exchanges = incoming["exchange"].unique().sort().to_list()
            current = self.frame(exchanges)
            touched = incoming.select(key).unique()
            old = current.join(touched, on=key, how="semi")
            new = merge_timelines(old, incoming) if incoming.height else self.spec.empty_frame()
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
            version = None
            rest = current.join(touched, on=key, how="anti")
            result = pl.concat([rest, new]).sort(list(self.spec.tie_break))
            if gone.height or added.height:
                version = self._replace_exchanges(exchanges, result)
            total = self._count()
        return SymbolApplyReport(
            table=TABLE,
            source=source,
            rows_in=rows.height,
            symbols=touched.height,
            windows_opened=opened.height,
            windows_closed=closed.height,
            windows_changed=edited.height - closed.height,
            windows_removed=removed.height,
            windows_unchanged=unchanged.height,
            rows_total=total,
            version=version,
            ignored_columns=ignored,
        )

    def _replace_exchanges(self, exchanges: list[str], rows: pl.DataFrame) -> int:
        """Replace every row of ``exchanges`` with ``rows`` in one commit (replaceWhere)."""
        predicate = f"exchange IN ({', '.join(sql_literal(e) for e in exchanges)})"
        mode = "overwrite" if open_table(self.path) is not None else "append"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_stream(
            self.path,
            self.spec,
            [rows],
            mode=mode,
            predicate=predicate if mode == "overwrite" else None,
        )
        table = open_table(self.path)
        assert table is not None
        return table.version()

    def _count(self) -> int:
        table = open_table(self.path)
        return 0 if table is None else int(pl.scan_delta(table).select(pl.len()).collect().item())

    def import_file(self, path: Path, vendor_rows: pl.DataFrame | None = None) -> SymbolApplyReport:
        """Apply a generic CSV/Parquet symbols file (or rows a vendor plugin read from it)."""
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
