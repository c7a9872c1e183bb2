"""The plugin contract: every hook a vendor plugin may implement.

Lifecycle (who calls what, in order)::

    load      plugins.load_plugins()  vendor_info -> table_mapping -> tables -> exchanges
    upstream  pointline_core.extract()  recognize_archive -> member_path (once per member)
    ingest    pointline_core.ingest()   discover -> parse_files | parse
                                        -> canonicalize_files | canonicalize -> validation_rules
    symbols   pointline symbols import  read_symbols

"Every plugin" hooks are called on all loaded plugins and their answers are merged.
"Routed" hooks are called on the owning plugin only (the one whose vendor name owns the file
or folder), so an implementation never has to ask "is this file mine?". Routed hooks are
``firstresult`` and return one value.

Implementations may accept any subset of a hook's arguments (pluggy passes what they name), so
new arguments can be added in minor versions of :data:`PLUGIN_API_VERSION`; arguments are
never removed or renamed within a major version.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pluggy
import polars as pl

from pointline_core.models import (
    ArchiveInfo,
    BronzeFile,
    ExchangeInfo,
    MemberTarget,
    Unrecognised,
    VendorInfo,
)
from pointline_core.schemas.spec import TableSpec
from pointline_core.validation_rules import Rule

PROJECT = "pointline"
#: Version of this contract. A plugin whose ``VendorInfo.api_version`` has another major
#: number is refused at load; minor versions only ever add hooks or hook arguments.
#: 2.0: price, quantity and amount columns are exact ``Decimal(38, scale)`` instead of Int64
#: fixed point (a plugin built for 1.x would hand Int64 to a Decimal column).
#: 2.1: ``ExchangeInfo.trading_day_roll`` (trading days that start the evening before), the
#: optional ``ts_event_ns``/``ts_local_ns`` columns, a file listed once per data type.
#: 2.2: the optional ``pointline_canonicalize_files`` (many small files in one query).
#: 2.3: the optional ``pointline_parse_files`` (many small files in one read).
#: 2.4: ``pointline_core.listing.list_vendor_files``, the walk for ``pointline_discover``.
PLUGIN_API_VERSION = "2.4"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def pointline_vendor_info() -> VendorInfo:
    """Describe the vendor. Required.

    Called on every plugin by the plugin manager right after loading. Return a
    :class:`~pointline_core.models.VendorInfo` whose ``name`` equals the entry-point name and
    whose ``api_version`` is the ``PLUGIN_API_VERSION`` the plugin was built for. Raising, or
    returning anything else, marks the plugin as failed to load.
    """


@hookspec
def pointline_exchanges() -> list[ExchangeInfo]:
    """Declare the exchanges this vendor's data comes from. Required.

    Called on every plugin when the exchange registry is built. Return a list of
    :class:`~pointline_core.models.ExchangeInfo` (name, IANA timezone, asset class). Two plugins
    may declare the same exchange only if they agree on ``timezone`` and ``asset_class``
    (``description`` may differ; the first plugin loaded keeps its own); a disagreement is an
    ``ExchangeConflictError`` naming both plugins. Use a conventional ``asset_class``
    (:data:`~pointline_core.models.CONVENTIONAL_ASSET_CLASSES`). Set ``calendar`` (``24/7`` or
    an ``exchange-calendars`` name) so ``pointline calendar``/``completeness`` know the
    exchange's sessions.
    """


@hookspec
def pointline_table_mapping() -> dict[str, str]:
    """Map each vendor data_type to the canonical table its rows land in. Required.

    Called on every plugin at load. Return ``{data_type: table_name}``; every data_type in
    ``VendorInfo.data_types`` must appear, and every table must be a core table or one the
    plugin contributes through ``pointline_tables``.
    """


@hookspec
def pointline_tables() -> list[TableSpec]:
    """Contribute extra canonical tables. Optional.

    Called on every plugin when the table registry is built. Return a list of
    :class:`~pointline_core.schemas.spec.TableSpec`. The core validates them: key columns
    exist, event tables carry the common event columns; an invalid spec raises
    ``TableSpecError`` naming the plugin. Table names are global: a core table name cannot be
    contributed, and two plugins may contribute one name only with identical specs (the rows
    of both then share the table); a different spec under a taken name fails the later
    plugin's load, naming both plugins and the first difference. Name tables after the
    vendor (``<vendor>_<table>``).
    """


@hookspec(firstresult=True)
def pointline_discover(vendor_root: Path, bronze_root: Path) -> Iterable[BronzeFile | Unrecognised]:
    """List the Bronze files this vendor can ingest. Required. Routed.

    Called by the ingest runner once per run, on each selected plugin, with that plugin's own
    folder ``vendor_root = <bronze_root>/<vendor>/`` (which may not exist: return nothing).
    Yield one :class:`~pointline_core.models.BronzeFile` per ingestible file (``rel_path``
    relative to ``bronze_root``) and one :class:`~pointline_core.models.Unrecognised` per other
    file under the folder, with the reason. A file whose rows belong in several tables (an
    order-by-order feed holding order events and executions) may be listed once per data
    type, one data type per table; ``pointline_parse`` then yields only that data type's
    rows. Must not read file contents beyond what naming needs (a format's own small header
    is fine); the runner hashes the files itself. ``BronzeFile.meta``: unique keys, sorted by
    key by convention (not checked, not part of the file's identity).
    """


@hookspec(firstresult=True)
def pointline_parse(file: BronzeFile, batch_rows: int) -> Iterator[pl.DataFrame]:
    """Read one Bronze file as typed raw frames, in bounded batches. Required. Routed.

    Called by the ingest runner for each file that passed the manifest gate. Yield polars
    DataFrames of at most about ``batch_rows`` rows, in file order (the runner numbers rows
    0.. across batches as ``file_seq``, so never reorder or drop rows here, except the rows
    of a file's other data types when it is listed under several). A generator may
    keep state across the batches of one file, to add columns that depend on earlier rows
    (for example snapshot-block flags that ``pointline_canonicalize`` then maps). Never
    materialise a whole large file: for example
    ``pl.scan_csv(...).collect_batches(chunk_size=batch_rows)``. An empty file yields
    nothing. On unreadable input raise
    :class:`~pointline_core.errors.ParseError` with path and, where known, line and column;
    the runner marks the file failed with that reason and leaves the lake unchanged for it.
    """


@hookspec(firstresult=True)
def pointline_parse_files(
    files: list[BronzeFile], batch_rows: int
) -> list[list[pl.DataFrame]] | None:
    """Parse many small files in one go. Optional. Routed.

    Called by the ingest runner on the small files of a unit (never on a file that streams),
    a run of up to a few hundred files of one plugin at a time, before falling back to
    :func:`pointline_parse` per file. Return one list per file, in the order given: exactly
    the batches ``pointline_parse(files[i], batch_rows)`` would yield (same rows, columns,
    dtypes and batch sizes). Why: a polars CSV read costs about half a millisecond whatever
    its size, so thousands of 200-row files spend most of their time there; one read over
    many files' rows removes that. Return ``None`` (or raise) to decline, for example when a
    file needs its own error: the runner then calls ``pointline_parse`` per file, so a bad
    file fails alone with its own reason. The conformance suite checks the equality on the
    plugin's samples.
    """


@hookspec(firstresult=True)
def pointline_canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Turn one parsed batch into the mapped table's canonical columns. Required. Routed.

    Called by the ingest runner on each batch ``pointline_parse`` yielded, with ``table`` the
    name from ``pointline_table_mapping``. Return a frame with exactly the table's
    ``vendor_columns()`` (the spec's columns minus those the core derives: ``trading_date``,
    ``symbol_id``, ``file_id``, ``file_seq``), in any order, with the spec's dtypes, and the
    same row count and order as ``frame``. Fixed-point columns are encoded with
    :func:`pointline_core.fixedpoint.encode`. Rows that cannot be made valid are kept and
    flagged: add a String column ``_reject_reason`` (null = row is fine); the runner
    quarantines flagged rows with that reason. An optional String column ``_reject_detail``
    becomes the quarantine ``detail`` of a flagged row (the value and its likely cause). Raise
    :class:`~pointline_core.errors.CanonicalizeError` for problems that doom the whole file.

    Columns marked ``ColumnSpec.optional`` (``ts_event_ns``, ``ts_local_ns``: full-resolution
    clocks of nanosecond sources) may be returned or left out; the core fills null.
    Columns marked ``ColumnSpec.added_later`` (nullable columns a core table gained after its
    release, such as ``orderbook_updates.book_reset`` and ``before_first_snapshot``) may be
    omitted; the core fills them with nulls. Values that depend on earlier rows of the file
    are computed in :func:`pointline_parse` (state across one file's batches is allowed
    there), never from batch boundaries here. Do not reject prices <= 0 here: the core's
    positivity rule knows which instrument classes may trade at such prices
    (``ColumnSpec.signed_classes`` and the row's ``dim_symbol.asset_class``).
    """


@hookspec(firstresult=True)
def pointline_canonicalize_files(
    files: list[BronzeFile], table: str, frames: list[pl.DataFrame]
) -> pl.DataFrame | None:
    """Canonicalize the parsed batches of many small files in one go. Optional. Routed.

    Called by the ingest runner on a unit of small files, for runs of up to ~250,000 parsed
    rows of one plugin and table, before falling back to :func:`pointline_canonicalize`:
    ``frames[i]`` is a batch ``pointline_parse`` yielded for ``files[i]`` (a file appears once
    per batch, in file order). Return one frame equal to concatenating
    ``pointline_canonicalize(files[i], table, frames[i])`` over ``i``: same columns, dtypes
    and rows, in that order. Why: a polars query costs about a millisecond to plan whatever
    its size, so thousands of 200-row files spend most of their time there; one query over
    many files removes that. Return ``None`` (or raise) to decline, for example when the
    files' headers differ: the runner then calls ``pointline_canonicalize`` per batch, so a
    doomed file still fails alone with its own reason. The conformance suite checks the
    equality on the plugin's samples.
    """


@hookspec(firstresult=True)
def pointline_validation_rules(file: BronzeFile, table: str) -> list[Rule]:
    """Contribute vendor- or exchange-specific validation rules. Optional. Routed.

    Called by the ingest runner once per file before validation. Return a list of
    :class:`~pointline_core.validation_rules.Rule`; each rule's expression is true for bad
    rows. The runner applies them after the core rules; rejecting rules quarantine rows with
    the rule name as reason, warning rules are only counted in the validation log.
    """


@hookspec(firstresult=True)
def pointline_recognize_archive(archive: Path) -> ArchiveInfo:
    """Recognise an upstream archive by its name. Optional (archive vendors only). Routed.

    Called by :func:`pointline_core.extract` for each file under
    ``<source_dir>/<vendor>/``. Return an :class:`~pointline_core.models.ArchiveInfo`, or raise
    :class:`~pointline_core.errors.ArchiveNameError` saying which naming rule failed; the
    archive is then recorded as failed in the upstream ledger and the run goes on.
    """


@hookspec(firstresult=True)
def pointline_member_path(archive: ArchiveInfo, member: str) -> MemberTarget | None:
    """Map one archive member to its extracted Bronze path. Optional. Routed.

    Called by :func:`pointline_core.extract` for every member of a recognised archive, after
    the archive was extracted in one pass. Return a :class:`~pointline_core.models.MemberTarget`
    (path relative to ``<bronze_root>/<vendor>/``), ``None`` to ignore the member silently
    (for example a readme), or raise :class:`~pointline_core.errors.MemberRejected` with the
    reason; rejected members are reported and the rest of the archive still publishes.
    """


@hookspec(firstresult=True)
def pointline_read_symbols(path: Path) -> pl.DataFrame:
    """Read a vendor's instrument metadata file as generic symbol rows. Optional. Routed.

    Called by ``pointline symbols import FILE LAKE --vendor V`` (and the matching Python API).
    Return a frame with the generic symbols-file columns (``exchange``, ``exchange_symbol``,
    ``valid_from_ts_us`` (or ``valid_from`` as ISO text) and optional ``valid_until_ts_us``
    (or ``valid_until``; null = open-ended), ``asset_class``, ``base_asset``,
    ``quote_asset``, ``tick_size``, ``lot_size``, ``contract_size``); the core turns it into
    dim_symbol SCD2 rows. Raise ``ParseError`` for unreadable files. ``asset_class`` ``spread``
    or ``combo`` (:data:`~pointline_core.schemas.SIGNED_PRICE_CLASSES`) lets the instrument's
    prices be zero or negative.
    """
