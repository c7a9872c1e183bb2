"""Event tables: schema-checked, partitioned, one Delta commit per write, exactly-once markers.

Exactly-once per Bronze file rests on two Delta facts: a commit is atomic, and a commit can
carry *application transactions* (``txn`` actions) that are recorded atomically with its
rows. Every append records ``pointline-file-<file_id>`` for each file id it carries, so
after a crash the writer can ask which files' rows are already in the table
(:meth:`EventStore.committed_file_ids`) instead of guessing from the manifest.

Marker versions: an append records the commit wall-clock time in µs (> 0); a delete of a
file's rows records 0, so a file whose rows were deleted is no longer reported committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs
import filelock
import polars as pl
from deltalake import CommitProperties, DeltaTable, Transaction

from pointline_core.errors import StorageError
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.delta import (
    add_missing_columns,
    app_transaction_versions,
    check_frame,
    check_table_schema,
    create_table,
    open_table,
    write_stream,
)
from pointline_core.storage.environment import on_table
from pointline_core.storage.lake import Lake, Zone
from pointline_core.storage.partitioned_writer import (
    WrittenFiles,
    commit_files,
    discard_files,
    write_partitioned,
)

APP_ID_PREFIX = "pointline-file-"
#: Marker version meaning "this file's rows were deleted".
DELETED_MARKER = 0


def app_id(file_id: int) -> str:
    """The Delta application-transaction id that marks ``file_id``'s rows in a table."""
    return f"{APP_ID_PREFIX}{int(file_id)}"


@attrs.frozen(slots=True)
class WriteResult:
    """What one write committed: the new table version (None: no commit) and its rows."""

    table: str
    version: int | None
    rows: int
    file_ids: tuple[int, ...]


def _now_us() -> int:
    return time.time_ns() // 1_000


def _peek(frames: Iterator[pl.DataFrame], spec: TableSpec) -> list[pl.DataFrame]:
    """Checked batches up to and including the first non-empty one."""
    head: list[pl.DataFrame] = []
    for frame in frames:
        check_frame(frame, spec)
        head.append(frame)
        if frame.height:
            break
    return head


def _drain(head: list[pl.DataFrame], rest: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    # Pop, rather than chain, the peeked batches so none stays referenced after it is written.
    while head:
        yield head.pop(0)
    yield from rest


def lineage_guard(spec: TableSpec, ids: frozenset[int]) -> Callable[[pl.DataFrame], None]:
    """A check that every row of a batch carries one of ``ids`` (the files a write names),
    so the exactly-once markers of the commit match its rows."""

    def guard(frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        stray = frame.filter(~pl.col("file_id").is_in(list(ids)))["file_id"].unique()
        if stray.len():
            raise StorageError(
                f"table {spec.name!r}: rows carry file_id {sorted(stray.to_list())[:10]} that "
                f"are not among the file_ids of this write {sorted(ids)[:10]}; pass every "
                "file id whose rows are in the batches, so exactly-once markers match."
            )

    return guard


def checked_batch(spec: TableSpec, ids: frozenset[int]) -> Callable[[pl.DataFrame], None]:
    """The check every batch passes before it is written: exact schema, then lineage."""
    guard = lineage_guard(spec, ids)

    def check(frame: pl.DataFrame) -> None:
        check_frame(frame, spec)
        guard(frame)

    return check


def _unique_ids(file_ids: Sequence[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(i) for i in file_ids))


class EventStore:
    """One event table at ``<lake>/silver/<spec.name>``."""

    zone: Zone = "silver"

    def __init__(self, lake: Lake, spec: TableSpec) -> None:
        self.lake = lake
        self.spec = spec
        self.path = lake.table_path(spec.name, self.zone)

    @property
    def lock_name(self) -> str:
        return f"{self.zone}-{self.spec.name}"

    def lock(self) -> filelock.FileLock:
        """The table's write lock (appends, deletes, compaction and vacuum take it)."""
        return self.lake.lock(self.lock_name)

    def exists(self) -> bool:
        return DeltaTable.is_deltatable(str(self.path))

    @on_table
    def table(self) -> DeltaTable | None:
        """The Delta table (None if not written yet), schema-checked; a table lacking only
        nullable columns the spec gained later is accepted (see :meth:`migrate`)."""
        table = open_table(self.path)
        if table is not None:
            check_table_schema(table, self.spec, self.path, allow_missing_nullable=True)
        return table

    def migrate(self, *, take_lock: bool = True) -> bool:
        """Add the nullable columns the spec gained since the table was written (at the end;
        older rows read as null there); True if it changed anything. Appends do this by
        themselves; maintenance, which checks the exact schema, needs it done first. Pass
        ``take_lock=False`` when the caller holds the table's lock (it is not re-entrant)."""
        if not self.exists():
            return False
        if not take_lock:
            return add_missing_columns(DeltaTable(str(self.path)), self.spec, self.path)
        with self.lock():
            return add_missing_columns(DeltaTable(str(self.path)), self.spec, self.path)

    def _ensure_table(self) -> tuple[DeltaTable, bool]:
        table = self.table()
        if table is not None:
            if add_missing_columns(table, self.spec, self.path):
                table = DeltaTable(str(self.path))
            return table, False
        create_table(self.path, self.spec)
        table = DeltaTable(str(self.path))
        check_table_schema(table, self.spec, self.path)
        return table, True

    @on_table
    def append(self, batches: Iterable[pl.DataFrame], file_ids: Sequence[int]) -> WriteResult:
        """Write all ``batches`` in ONE commit that also marks every id in ``file_ids``.

        Batches are checked and converted one at a time as the writer pulls them (bounded
        memory). A bad batch raises and nothing is committed. Zero rows in total: no commit
        (``version`` None) unless the table had to be created.
        """
        ids = _unique_ids(file_ids)
        frames = iter(batches)
        # Peek to the first non-empty batch so an all-empty write makes no commit.
        head = _peek(frames, self.spec)
        nonempty = bool(head) and head[-1].height > 0
        if nonempty and not ids:
            raise StorageError(
                f"table {self.spec.name!r}: append of rows without file_ids; every write "
                "must name the files whose rows it carries"
            )
        with self.lake.lock(self.lock_name):
            table, created = self._ensure_table()
            if not nonempty:
                return WriteResult(self.spec.name, table.version() if created else None, 0, ids)
            marker = _now_us()
            props = CommitProperties(app_transactions=[Transaction(app_id(i), marker) for i in ids])
            stream = _drain(head, frames)
            guard = lineage_guard(self.spec, frozenset(ids))
            if self.spec.partition_by:
                # delta-rs' partitioned writer buffers the whole stream; ours stays bounded.
                check = checked_batch(self.spec, frozenset(ids))
                rows = write_partitioned(
                    table, self.path, self.spec, stream, commit_properties=props, check=check
                )
            else:
                rows = write_stream(
                    self.path, self.spec, stream, commit_properties=props, on_frame=guard
                )
            version = DeltaTable(str(self.path)).version()
        return WriteResult(self.spec.name, version, rows, ids)

    @on_table
    def commit_files(self, written: WrittenFiles, file_ids: Sequence[int]) -> WriteResult:
        """Commit data files a worker wrote (:func:`write_files`) in ONE commit that also
        marks every id in ``file_ids``; no commit when there are no files. If the commit
        fails, the files are deleted (nothing references them)."""
        ids = _unique_ids(file_ids)
        if not written.files:
            return WriteResult(self.spec.name, None, 0, ids)
        if not ids:
            raise StorageError(
                f"table {self.spec.name!r}: commit of data files without file_ids; every "
                "write must name the files whose rows it carries"
            )
        with self.lake.lock(self.lock_name):
            try:
                table, _ = self._ensure_table()
                marker = _now_us()
                props = CommitProperties(
                    app_transactions=[Transaction(app_id(i), marker) for i in ids]
                )
                commit_files(table, self.spec, written.files, commit_properties=props)
            except BaseException:
                discard_files(self.path, written.files)
                raise
            version = DeltaTable(str(self.path)).version()
        return WriteResult(self.spec.name, version, written.rows, ids)

    @on_table
    def committed_file_ids(self, file_ids: Sequence[int]) -> set[int]:
        """The ids whose rows some commit carried (and no later delete removed)."""
        table = open_table(self.path)
        if table is None:
            return set()
        return self._marked(table, _unique_ids(file_ids))

    def _marked(self, table: DeltaTable, ids: Sequence[int]) -> set[int]:
        """The ids among ``ids`` whose latest marker in ``table`` is a commit (> 0).

        One pass over the Delta log for the whole batch; ``transaction_version`` per id only
        when the log cannot be read that way (it replays the log on every call).
        """
        versions = app_transaction_versions(table, self.path, APP_ID_PREFIX)
        if versions is not None:
            return {i for i in ids if versions.get(app_id(i), DELETED_MARKER) > DELETED_MARKER}
        return {i for i in ids if (table.transaction_version(app_id(i)) or 0) > DELETED_MARKER}

    @on_table
    def count_rows(self, file_ids: Sequence[int] | None = None) -> int:
        table = open_table(self.path)
        if table is None:
            return 0
        lazy = pl.scan_delta(table)
        if file_ids is not None:
            lazy = lazy.filter(pl.col("file_id").is_in(list(_unique_ids(file_ids))))
        return int(lazy.select(pl.len()).collect().item())

    @on_table
    def delete_files(self, file_ids: Sequence[int]) -> int:
        """Delete every row of ``file_ids`` in one commit; returns the rows deleted.

        The same commit resets the ids' markers, so :meth:`committed_file_ids` stops
        reporting them. No commit when the table is missing, or when no row matches and no
        marker needs resetting.
        """
        ids = _unique_ids(file_ids)
        if not ids:
            return 0
        with self.lake.lock(self.lock_name):
            table = self.table()
            if table is None:
                return 0
            rows = int(
                pl.scan_delta(table)
                .filter(pl.col("file_id").is_in(list(ids)))
                .select(pl.len())
                .collect()
                .item()
            )
            marked = self._marked(table, ids)
            if not rows and not marked:
                return 0
            props = CommitProperties(
                app_transactions=[Transaction(app_id(i), DELETED_MARKER) for i in ids]
            )
            if rows:
                id_list = ", ".join(str(i) for i in ids)
                metrics = table.delete(f"file_id IN ({id_list})", commit_properties=props)
                return int(metrics.get("num_deleted_rows", rows))
            # Rows already gone but markers still claim them: an empty commit resets them.
            table.create_write_transaction(
                [],
                mode="append",
                schema=self.spec.arrow_schema(),
                partition_by=list(self.spec.partition_by) or None,
                commit_properties=props,
            )
            return 0

    @on_table
    def frame(self, filter_expr: pl.Expr | None = None) -> pl.DataFrame:
        """All rows (or those matching ``filter_expr``) in the spec's dtypes."""
        from pointline_core.storage.delta import read_table

        return read_table(self.path, self.spec, filter_expr=filter_expr)

    @on_table
    def version(self) -> int | None:
        table = open_table(self.path)
        return None if table is None else table.version()
