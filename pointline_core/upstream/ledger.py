"""The upstream ledger: one record per archive, keyed by (vendor, archive name, sha256).

Stored as a Delta table with the :data:`~pointline_core.schemas.tables.UPSTREAM_LEDGER` schema.
Where it lives (:func:`ledger_path`):

- ``<bronze_root>/_pointline/upstream_ledger`` by default. The ledger describes the Bronze
  tree it fills, so it travels with it, and ``extract`` needs no lake. ``_pointline`` is not
  a vendor folder, so vendor discovery never sees it.
- ``<lake_root>/control/upstream_ledger`` when a lake root is given, next to the other
  control tables.

Statuses are ``success`` and ``failed``. The runner skips an archive whose (vendor, name,
sha256) has a success record and retries one with a failed record (or none). A changed
archive (new sha256) is a new key. Each archive's outcome is one merge (upsert) commit, made
under a file lock ``<ledger path>.lock`` so concurrent runs cannot lose each other's records;
the table is small (one row per archive) and is read whole once per run. The lock file is
``<bronze_root>/_pointline/upstream_ledger.lock``, or ``<lake_root>/_locks/upstream_ledger.lock``
in a lake.

Each record also keeps the archive's size and modification time (``size_bytes``,
``mtime_ns``) so a rerun can skip re-hashing an unchanged archive. These two nullable columns
were added to the schema later: a ledger written before has none of them; it is read with
nulls there, and the first write adds the columns (an additive Delta schema change, made
under the lock) before merging.
"""

from __future__ import annotations

import time
from pathlib import Path

import attrs
import polars as pl
from filelock import FileLock

from pointline_core.errors import SchemaMismatchError
from pointline_core.schemas.tables import UPSTREAM_LEDGER
from pointline_core.storage.delta import add_missing_columns, check_frame, create_table
from pointline_core.storage.environment import on_table
from pointline_core.storage.lake import LOCK_DIR, Lake

#: Folder under the Bronze root holding Pointline's own state (never a vendor name).
BRONZE_STATE_DIR = "_pointline"
LEDGER_SPEC = UPSTREAM_LEDGER
_KEY = ("vendor", "archive_name", "sha256")
_MERGE_PREDICATE = " AND ".join(f"t.{k} = s.{k}" for k in _KEY)


def ledger_path(bronze_root: Path, lake_root: Path | None = None) -> Path:
    """Where the upstream ledger of ``bronze_root`` lives (see the module docstring)."""
    if lake_root is not None:
        return Lake(Path(lake_root)).table_path(LEDGER_SPEC.name, "control")
    return Path(bronze_root) / BRONZE_STATE_DIR / LEDGER_SPEC.name


def open_ledger(bronze_root: Path, lake_root: Path | None = None) -> UpstreamLedger:
    """The ledger of ``bronze_root`` (in ``lake_root`` when given), with its lock file."""
    path = ledger_path(bronze_root, lake_root)
    if lake_root is None:
        return UpstreamLedger(path)
    return UpstreamLedger(path, Path(lake_root) / LOCK_DIR / f"{LEDGER_SPEC.name}.lock")


def now_us() -> int:
    return time.time_ns() // 1000


@attrs.frozen(slots=True)
class LedgerRecord:
    """One archive's last known outcome."""

    vendor: str
    archive_name: str
    sha256: str
    status: str
    members_total: int | None = None
    members_published: int | None = None
    members_rejected: int | None = None
    status_reason: str | None = None
    updated_at_us: int = attrs.field(factory=now_us)
    size_bytes: int | None = None
    mtime_ns: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.vendor, self.archive_name, self.sha256)


def _frame(records: list[LedgerRecord]) -> pl.DataFrame:
    frame = pl.DataFrame(
        [attrs.asdict(r) for r in records], schema=LEDGER_SPEC.polars_schema(), orient="row"
    )
    _check(frame)
    return frame


def _check(frame: pl.DataFrame) -> None:
    check_frame(frame, LEDGER_SPEC)
    allowed = LEDGER_SPEC.column("status").allowed or ()
    if frame.filter(~pl.col("status").is_in(allowed)).height:
        raise SchemaMismatchError(f"upstream ledger status must be one of {allowed}")


class UpstreamLedger:
    """Read and upsert the upstream ledger Delta table at ``path``.

    ``lock_path`` defaults to ``<path>.lock`` next to the table; :func:`open_ledger` uses the
    lake's ``_locks`` folder when the ledger lives in a lake.
    """

    def __init__(self, path: Path, lock_path: Path | None = None) -> None:
        self.path = Path(path)
        self.lock_path = (
            Path(lock_path) if lock_path else self.path.with_name(self.path.name + ".lock")
        )

    def exists(self) -> bool:
        return (self.path / "_delta_log").is_dir()

    @on_table
    def frame(self) -> pl.DataFrame:
        """The whole ledger (empty frame with the spec's schema if it does not exist yet)."""
        if not self.exists():
            return pl.DataFrame(schema=LEDGER_SPEC.polars_schema())
        frame = pl.read_delta(str(self.path))
        schema = LEDGER_SPEC.polars_schema()
        # A ledger written before a nullable column was added to the spec lacks it.
        frame = frame.with_columns(
            pl.lit(None, schema[name]).alias(name)
            for name in LEDGER_SPEC.column_names
            if name not in frame.columns and LEDGER_SPEC.column(name).nullable
        )
        return frame.select(LEDGER_SPEC.column_names)

    def load(self) -> dict[tuple[str, str, str], LedgerRecord]:
        """Every record by key. Reads only; never creates anything (dry runs use it)."""
        return {
            (row["vendor"], row["archive_name"], row["sha256"]): LedgerRecord(**row)
            for row in self.frame().iter_rows(named=True)
        }

    @on_table
    def migrate(self, *, take_lock: bool = True) -> bool:
        """Add the nullable columns an older ledger lacks
        (:func:`~pointline_core.storage.delta.add_missing_columns`);
        True if it changed anything. Writes do this themselves; call it before handing the
        table to code that checks the exact schema (maintenance). Pass ``take_lock=False``
        when the caller already holds the ledger's lock (flock is not re-entrant)."""
        from deltalake import DeltaTable

        if not self.exists():
            return False
        if not take_lock:
            return add_missing_columns(DeltaTable(str(self.path)), LEDGER_SPEC, self.path)
        with FileLock(str(self.lock_path)):
            return add_missing_columns(DeltaTable(str(self.path)), LEDGER_SPEC, self.path)

    @on_table
    def upsert(self, records: list[LedgerRecord]) -> None:
        """Insert or replace ``records`` by key, in one Delta commit."""
        if not records:
            return
        from deltalake import DeltaTable

        frame = _frame(records)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.lock_path)):
            if not self.exists():
                create_table(self.path, LEDGER_SPEC)
            table = DeltaTable(str(self.path))
            if add_missing_columns(table, LEDGER_SPEC, self.path):
                table = DeltaTable(str(self.path))
            (
                table.merge(frame, predicate=_MERGE_PREDICATE, source_alias="s", target_alias="t")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute()
            )
