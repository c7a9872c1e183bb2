"""Import symbol history into dim_symbol and keep every stored row on the right window.

One operation, under the lake's writer lock (ingest runs wait for it, and it for them):

1. finish any earlier import that was interrupted (its journal is still there);
2. work out the new windows from the facts (:mod:`pointline_core.storage.symbol_history`);
3. write a journal naming the touched symbols, commit observations and dim_symbol;
4. restamp stored rows of those symbols (:mod:`pointline_core.storage.restamp`): rows whose
   window moved get the new id, rows no window covers any more move to quarantine;
5. remove the journal.

A crash anywhere leaves either the old state (before 3) or a journal that the next import,
ingest or ``pointline restamp`` finishes, so no row stays orphaned.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path

import attrs
import polars as pl

from pointline_core.errors import PluginContractError, SymbolDataError, UnknownTableError
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.dim_symbol import (
    LOCK_NAME,
    SYMBOL_ROW_COLUMNS,
    DimSymbolStore,
    SymbolApplyReport,
    SymbolPlan,
    TableRestamp,
    read_symbols_file,
)
from pointline_core.storage.lake import Lake, writer_lock
from pointline_core.storage.restamp import event_tables, restamp
from pointline_core.storage.symbol_history import KEY

__all__ = [
    "SYMBOL_ROW_COLUMNS",
    "apply_symbols",
    "finish_pending",
    "import_symbols",
    "restamp_lake",
]

#: Where journals of imports whose restamp has not finished live.
JOURNAL_DIR = "_journal"


def _specs(lake: Lake, plugins: Plugins | None) -> dict[str, TableSpec]:
    """Specs of the lake's event tables (plugins loaded only when a table needs them)."""
    from pointline_core.query.specs import table_spec

    specs = {}
    for name in event_tables(lake):
        with contextlib.suppress(UnknownTableError):
            specs[name] = table_spec(name, plugins=plugins)
    return specs


def _journal_dir(lake: Lake) -> Path:
    return lake.root / JOURNAL_DIR


def _write_journal(lake: Lake, keys: pl.DataFrame) -> Path:
    """Atomically record the symbols whose rows must be restamped."""
    folder = _journal_dir(lake)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"symbols-{uuid.uuid4().hex}.json"
    tmp = path.with_suffix(".tmp")
    body = {"keys": keys.select(KEY).rows()}
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def _journals(lake: Lake) -> list[Path]:
    folder = _journal_dir(lake)
    return sorted(folder.glob("symbols-*.json")) if folder.is_dir() else []


def finish_pending(lake: Lake, plugins: Plugins | None = None) -> tuple[TableRestamp, ...]:
    """Finish imports that were interrupted after their journal was written: re-derive the
    journal's symbols from their observations and restamp their rows. The caller holds the
    writer lock. Returns what was restamped (empty when nothing was pending)."""
    results: list[TableRestamp] = []
    store = DimSymbolStore(lake)
    for path in _journals(lake):
        keys = pl.DataFrame(
            json.loads(path.read_text(encoding="utf-8"))["keys"],
            schema={"exchange": pl.String, "exchange_symbol": pl.String},
            orient="row",
        )
        with lake.lock(LOCK_NAME):
            store.rederive(keys)
            exchanges = keys["exchange"].unique().to_list()
            results += restamp(lake, _specs(lake, plugins), store.frame(exchanges), keys=keys)
        path.unlink()
    return tuple(results)


def apply_symbols(
    rows: pl.DataFrame,
    lake: str | Path,
    *,
    source: str | None = None,
    replace: bool = False,
    dry_run: bool = False,
    plugins: Plugins | None = None,
    progress: bool = True,
) -> SymbolApplyReport:
    """Apply symbol rows (generic columns) to dim_symbol and restamp affected stored rows.

    ``replace`` forgets the earlier facts of the symbols ``rows`` names (a corrected vendor
    history); ``dry_run`` reports windows and rows affected and writes nothing.
    """
    lake = Lake(Path(lake))
    store = DimSymbolStore(lake)
    if dry_run:
        plan = store.plan(rows, source=source, replace=replace)
        affected = _restamp_if_changed(lake, plugins, plan, dry_run=True)
        return attrs.evolve(plan.report, dry_run=True, restamp=affected)
    with writer_lock(lake, "symbols import", progress=progress):
        finish_pending(lake, plugins)
        with lake.lock(LOCK_NAME):
            plan = store.plan(rows, source=source, replace=replace)
            journal = None
            if plan.windows_changed:
                journal = _write_journal(lake, plan.touched)
            version = store.commit(plan)
            affected = _restamp_if_changed(lake, plugins, plan, dry_run=False)
            if journal is not None:
                journal.unlink()
    return attrs.evolve(plan.report, version=version, restamp=affected)


def _restamp_if_changed(
    lake: Lake, plugins: Plugins | None, plan: SymbolPlan, *, dry_run: bool
) -> tuple[TableRestamp, ...]:
    if not plan.windows_changed:
        return ()
    return restamp(lake, _specs(lake, plugins), plan.windows, keys=plan.touched, dry_run=dry_run)


def import_symbols(
    path: str | Path,
    lake: str | Path,
    vendor: str | None = None,
    plugins: Plugins | None = None,
    *,
    replace: bool = False,
    dry_run: bool = False,
    progress: bool = True,
) -> SymbolApplyReport:
    """Apply a symbols file to ``<lake>/silver/dim_symbol`` and restamp affected rows.

    Without ``vendor`` the file is read in the generic format (CSV or Parquet: exchange,
    exchange_symbol, valid_from, optional valid_until and attributes). With it, the vendor
    plugin's ``pointline_read_symbols`` reads the vendor's own instrument file. Importing
    the same file again changes nothing; see :func:`apply_symbols` for ``replace`` and
    ``dry_run``.
    """
    if vendor is not None:
        plugins = plugins if plugins is not None else load_plugins()
        plugins.vendor(vendor)  # UnknownVendorError names the installed vendors
        if not plugins.implements(vendor, "pointline_read_symbols"):
            raise SymbolDataError(
                f"vendor {vendor!r} has no symbols reader (pointline_read_symbols); convert "
                "the file to the generic symbols format and import it without --vendor"
            )
        rows = plugins.call(vendor, "pointline_read_symbols", path=Path(path))
        if not isinstance(rows, pl.DataFrame):
            raise PluginContractError(
                f"plugin {vendor!r}: pointline_read_symbols must return a polars DataFrame, "
                f"got {type(rows).__name__}"
            )
    else:
        rows = read_symbols_file(Path(path))
    return apply_symbols(
        rows,
        lake,
        source=str(path),
        replace=replace,
        dry_run=dry_run,
        plugins=plugins,
        progress=progress,
    )


def restamp_lake(
    lake: str | Path,
    *,
    dry_run: bool = False,
    plugins: Plugins | None = None,
    progress: bool = True,
    table: str | None = None,
    exchange: str | None = None,
    symbol: str | None = None,
) -> tuple[TableRestamp, ...]:
    """Check every stored row of every event table against dim_symbol and fix the ones whose
    id is not the window covering them (restamp or quarantine). Finishes interrupted imports
    first. One aggregation per table finds the stale rows; only those are rewritten.

    ``table``, ``exchange`` and ``symbol`` (an exchange symbol) limit the check to those
    rows; interrupted imports are still finished whole (their journal names the symbols).
    """
    lake = Lake(Path(lake))
    store = DimSymbolStore(lake)
    specs = _specs(lake, plugins)
    if table is not None and table not in specs:
        raise UnknownTableError(
            f"no event table {table!r} in {lake.root / 'silver'}; its event tables: "
            f"{', '.join(sorted(specs)) or 'none'}"
        )
    only = [table] if table is not None else None
    where = _row_filter(exchange, symbol)
    if dry_run:
        return restamp(lake, specs, store.frame(), dry_run=True, tables=only, where=where)
    with writer_lock(lake, "restamp", progress=progress):
        finish_pending(lake, plugins)
        with lake.lock(LOCK_NAME):
            return restamp(lake, specs, store.frame(), tables=only, where=where)


def _row_filter(exchange: str | None, symbol: str | None) -> pl.Expr | None:
    terms = [pl.col(c) == v for c, v in (("exchange", exchange), ("symbol", symbol)) if v]
    return pl.all_horizontal(terms) if terms else None
