"""Stage 0 of a targeted backfill: which discovered Bronze files a run is limited to.

After a vendor correction one re-ingests one table for one exchange and month, not the whole
Bronze root. The manifest already knows, per Bronze path, the table its rows went to and the
trading dates they span; the exchanges a file wrote are read from the table itself (two
columns of the rows with those file ids). A file is selected when it matches every filter
given. Selection is by file: a selected file is re-ingested whole, so rows of it outside the
date range are replaced too (by identical rows when the content did not change).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Sequence

import attrs
import polars as pl

from pointline_core.errors import SelectionError
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins
from pointline_core.storage.delta import open_table
from pointline_core.storage.lake import Lake


@attrs.frozen(slots=True)
class FileSelection:
    """Filters of a targeted run; ``None`` means "any". Dates are trading dates, inclusive;
    ``path_glob`` is an :mod:`fnmatch` pattern over the path relative to the Bronze root
    (``*`` also matches ``/``)."""

    table: str | None = None
    exchange: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    path_glob: str | None = None

    @property
    def active(self) -> bool:
        return any(getattr(self, a.name) is not None for a in attrs.fields(FileSelection))

    def check(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise SelectionError(
                f"--from {self.date_from} is after --to {self.date_to}; give a range whose "
                "start is on or before its end"
            )


def select_files(
    files: Sequence[BronzeFile],
    selection: FileSelection,
    manifest: pl.DataFrame,
    lake: Lake,
    plugins: Plugins,
) -> list[BronzeFile]:
    """The ``files`` matching ``selection`` (order kept).

    A file's table, dates and exchanges come from the newest manifest entry at its path that
    wrote to a table (a re-delivered file is matched by what its predecessor wrote). A file
    the manifest has never seen matches a ``table`` filter through its vendor's table
    mapping, and never matches an exchange or date filter (its rows' dates are unknown).
    """
    selection.check()
    if not selection.active:
        return list(files)
    facts = _facts(files, manifest, plugins)
    keep = pl.lit(True)
    if selection.path_glob is not None:
        glob = selection.path_glob
        # One test per file (not per row): fnmatch's regex dialect is Python's, not polars'.
        matched = [fnmatch.fnmatchcase(f.rel_path, glob) for f in files]
        facts = facts.with_columns(_glob=pl.Series(matched, dtype=pl.Boolean))
        keep = keep & pl.col("_glob")
    if selection.table is not None:
        keep = keep & (pl.col("table") == selection.table)
    if selection.date_from is not None:
        keep = keep & (pl.col("trading_date_max") >= selection.date_from)
    if selection.date_to is not None:
        keep = keep & (pl.col("trading_date_min") <= selection.date_to)
    chosen = facts.filter(keep.fill_null(False))
    if selection.exchange is not None:
        chosen = chosen.filter(
            pl.col("file_id").is_in(_file_ids_on(lake, chosen, selection.exchange).implode())
        )
    wanted = set(chosen["_index"].to_list())
    return [f for i, f in enumerate(files) if i in wanted]


def _facts(files: Sequence[BronzeFile], manifest: pl.DataFrame, plugins: Plugins) -> pl.DataFrame:
    """One row per file: its index, path key, table, trading dates and last file_id."""
    keys = ["vendor", "data_type", "bronze_path"]
    found = pl.DataFrame(
        {
            "_index": list(range(len(files))),
            "vendor": [f.vendor for f in files],
            "data_type": [f.data_type for f in files],
            "bronze_path": [f.rel_path for f in files],
        },
        schema={"_index": pl.Int64, **{k: pl.String for k in keys}},
    )
    mapped = pl.DataFrame(
        [
            (v, dtype, plugins.table_for(v, dtype).name)
            for v, dtype in sorted({(f.vendor, f.data_type) for f in files})
        ],
        schema={"vendor": pl.String, "data_type": pl.String, "_mapped": pl.String},
        orient="row",
    )
    recorded = (
        manifest.filter(pl.col("table_name").is_not_null())
        .sort("created_at_us", "file_id")
        .group_by(keys)
        .agg(pl.all().last())
        .select(*keys, "file_id", "table_name", "trading_date_min", "trading_date_max")
    )
    return (
        found.join(mapped, on=["vendor", "data_type"], how="left")
        .join(recorded, on=keys, how="left")
        .with_columns(table=pl.coalesce("table_name", "_mapped"))
        .sort("_index")
    )


def _file_ids_on(lake: Lake, chosen: pl.DataFrame, exchange: str) -> pl.Series:
    """File ids among ``chosen`` with rows on ``exchange`` (in Silver or quarantine)."""
    ids = chosen.filter(pl.col("file_id").is_not_null())
    hits = [pl.Series("file_id", [], pl.Int64)]
    for table in sorted(set(ids["table"].to_list())):
        mine = ids.filter(pl.col("table") == table)["file_id"].implode()
        for zone in ("silver", "quarantine"):
            delta = open_table(lake.table_path(table, zone))
            if delta is None:
                continue
            hits.append(
                pl.scan_delta(delta)
                .filter(pl.col("exchange") == exchange, pl.col("file_id").is_in(mine))
                .select("file_id")
                .unique()
                .collect()["file_id"]
            )
    return pl.concat(hits).unique()
