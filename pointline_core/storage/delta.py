"""Generic, schema-checked Delta helpers shared by every store.

Writes go through :func:`check_frame` (exact dtypes, no casting, no unexpected columns, no
nulls in non-nullable columns) and are streamed to ``write_deltalake`` as Arrow record
batches in the spec's column order, so a frame never reaches Parquet with a schema the
TableSpec does not describe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import polars as pl
from arro3.core import RecordBatch, RecordBatchReader, Table
from deltalake import CommitProperties, DeltaTable, PostCommitHookProperties, write_deltalake
from deltalake import Schema as DeltaSchema
from deltalake.schema import PrimitiveType

from pointline_core.errors import SchemaMismatchError
from pointline_core.schemas.spec import TableSpec

#: Table properties every table is created with. A checkpoint every 50 commits keeps opening
#: a table (log replay) cheap however many commits it has seen.
TABLE_CONFIGURATION: dict[str, str | None] = {"delta.checkpointInterval": "50"}
CHECKPOINT_INTERVAL = 50


def check_frame(frame: pl.DataFrame, spec: TableSpec, columns: Sequence[str] | None = None) -> None:
    """Raise :class:`SchemaMismatchError` unless ``frame`` has exactly ``columns`` (default:
    all of ``spec``'s) with the spec's exact dtypes and no nulls in non-nullable columns.

    Column order does not matter; writers select the spec's order themselves.
    """
    expected = list(spec.column_names if columns is None else columns)
    unknown = [c for c in expected if c not in spec.column_names]
    if unknown:
        raise SchemaMismatchError(
            f"table {spec.name!r}: check_frame was asked for columns {unknown} that the "
            f"spec does not define; known columns: {list(spec.column_names)}"
        )
    have = frame.schema
    missing = [c for c in expected if c not in have]
    extra = [c for c in have if c not in expected]
    wrong = [
        f"{c} is {have[c]} (expected {spec.column(c).polars_dtype()})"
        for c in expected
        if c in have and have[c] != spec.column(c).polars_dtype()
    ]
    problems = []
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"unexpected columns {extra}")
    if wrong:
        problems.append("wrong dtypes: " + "; ".join(wrong))
    if not problems:
        not_null = [c for c in expected if not spec.column(c).nullable]
        if not_null and frame.height:
            counts = frame.select(pl.col(not_null).null_count()).row(0)
            nulls = [f"{c} ({n})" for c, n in zip(not_null, counts, strict=True) if n]
            if nulls:
                problems.append(f"nulls in non-nullable columns {nulls}")
    if problems:
        raise SchemaMismatchError(
            f"frame does not match table {spec.name!r}: {'; '.join(problems)}. Produce "
            "exactly the spec's columns and dtypes (see `pointline tables`); nothing is cast."
        )


def open_table(path: Path) -> DeltaTable | None:
    """The Delta table at ``path``, or ``None`` if there is none."""
    if not DeltaTable.is_deltatable(str(path)):
        return None
    return DeltaTable(str(path))


def create_table(path: Path, spec: TableSpec, partition_by: Sequence[str] | None = None) -> None:
    """Create an empty table with ``spec``'s schema unless one exists (idempotent)."""
    parts = list(spec.partition_by if partition_by is None else partition_by)
    path.parent.mkdir(parents=True, exist_ok=True)
    DeltaTable.create(
        str(path),
        spec.arrow_schema(),
        mode="ignore",
        partition_by=parts or None,
        name=spec.name,
        configuration=TABLE_CONFIGURATION,
    )


def missing_nullable_columns(table: DeltaTable, spec: TableSpec) -> list[str] | None:
    """The spec's trailing nullable columns a table written by an earlier version lacks.

    ``[]``: the table has all of the spec's columns; ``None``: the difference is not the
    additive kind (columns on disk are not a prefix of the spec's, or a missing column is
    NOT NULL), which no migration fixes.
    """
    on_disk = [f.name for f in table.schema().fields]
    names = list(spec.column_names)
    if on_disk != names[: len(on_disk)]:
        return None
    missing = names[len(on_disk) :]
    if any(not spec.column(n).nullable for n in missing):
        return None
    return missing


def add_missing_columns(table: DeltaTable, spec: TableSpec, path: Path | None = None) -> bool:
    """Add the nullable columns ``spec`` gained since ``table`` was written (at the end, in
    spec order: the only schema change Pointline makes); True if it added any.

    Rows written before read as null in the new columns. Any other difference raises
    :class:`SchemaMismatchError`. The caller holds the table's write lock.
    """
    from deltalake import Field

    missing = missing_nullable_columns(table, spec)
    where = path if path is not None else getattr(table, "table_uri", "")
    if missing is None:
        on_disk = [f.name for f in table.schema().fields]
        raise SchemaMismatchError(
            f"Delta table at {where} has columns {on_disk}; spec {spec.name!r} expects "
            f"{list(spec.column_names)} (or a prefix of it followed only by nullable columns). "
            "Point the lake at the right root; this difference cannot be migrated in place."
        )
    if not missing:
        return False
    fields = {f.name: f for f in DeltaSchema.from_arrow(spec.arrow_schema()).fields}
    table.alter.add_columns([Field(n, fields[n].type, nullable=True) for n in missing])
    return True


def check_table_schema(
    table: DeltaTable, spec: TableSpec, path: Path, *, allow_missing_nullable: bool = False
) -> None:
    """Raise unless the table on disk has the spec's columns, in order, with the spec's types.

    A same-named column of another type (a ``price`` stored as double) is refused too: delta-rs
    would otherwise cast every write into it and every read out of it, silently.

    ``allow_missing_nullable`` (readers) accepts a table that lacks only trailing nullable
    columns the spec gained later; the reader fills them with nulls. Otherwise such a table is
    refused with the command that migrates it.
    """
    fields = table.schema().fields
    on_disk = [f.name for f in fields]
    missing_suffix = missing_nullable_columns(table, spec)
    if missing_suffix and allow_missing_nullable:
        spec = attrs.evolve(spec, columns=spec.columns[: len(on_disk)])
    elif missing_suffix:
        raise SchemaMismatchError(
            f"Delta table at {path} was written before spec {spec.name!r} gained the nullable "
            f"columns {missing_suffix}. Migrate the lake first: `pointline migrate "
            "LAKE` (or pointline_core.storage.migrate.migrate_lake); rows written before read as "
            "null there. Ingest migrates a table it appends to by itself."
        )
    if on_disk != list(spec.column_names):
        missing = [c for c in spec.column_names if c not in on_disk]
        extra = [c for c in on_disk if c not in spec.column_names]
        raise SchemaMismatchError(
            f"Delta table at {path} does not match spec {spec.name!r}: missing {missing}, "
            f"unexpected {extra}, order {on_disk}. Point the lake at the right root or "
            "migrate the table; Pointline never alters a table's schema implicitly."
        )
    legacy = legacy_int64_columns(table, spec)
    if legacy:
        raise SchemaMismatchError(
            f"Delta table at {path} stores {legacy} as Int64 fixed point (written before "
            f"plugin API 2.0); spec {spec.name!r} stores exact decimals. Rewrite the lake "
            "once: `pointline migrate --rewrite-decimals LAKE` (exact, idempotent)."
        )
    expected = {f.name: f for f in DeltaSchema.from_arrow(spec.arrow_schema()).fields}
    wrong = [
        f"{f.name} is {_delta_type(f.type)} (expected {_delta_type(expected[f.name].type)})"
        for f in fields
        if f.type != expected[f.name].type
    ]
    # A NOT NULL column on disk where the spec allows nulls would refuse valid writes.
    wrong += [
        f"{f.name} is NOT NULL (the spec allows nulls)"
        for f in fields
        if not f.nullable and expected[f.name].nullable
    ]
    if wrong:
        raise SchemaMismatchError(
            f"Delta table at {path} does not match spec {spec.name!r}: {'; '.join(wrong)}. "
            "Point the lake at the right root or migrate the table; Pointline never casts "
            "a table's columns implicitly."
        )


def legacy_int64_columns(table: DeltaTable, spec: TableSpec) -> list[str]:
    """Decimal columns of ``spec`` that ``table`` still stores as Int64 fixed point
    (``long`` or ``array<long>``): a lake written before plugin API 2.0."""
    specced = {c.name: c for c in spec.columns if c.legacy_int64_scale is not None}
    legacy = []
    for field in table.schema().fields:
        col = specced.get(field.name)
        if col is None:
            continue
        dtype = field.type
        element = getattr(dtype, "element_type", None)
        inner = element if col.dtype.startswith("List[") and element is not None else dtype
        if isinstance(inner, PrimitiveType) and inner.type == "long":
            legacy.append(field.name)
    return legacy


def _delta_type(dtype: object) -> str:
    return dtype.type if isinstance(dtype, PrimitiveType) else str(dtype)


def read_table(
    path: Path,
    spec: TableSpec,
    columns: Sequence[str] | None = None,
    filter_expr: pl.Expr | None = None,
    version: int | None = None,
) -> pl.DataFrame:
    """Rows of the table at ``path`` in the spec's dtypes; an empty frame if it is missing."""
    names = list(spec.column_names if columns is None else columns)
    table = open_table(path)
    if table is None:
        return pl.DataFrame(schema=spec.polars_schema(tuple(names)))
    check_table_schema(table, spec, path, allow_missing_nullable=True)
    if version is not None:
        table.load_as_version(version)
    lazy = with_missing_columns(scan_snapshot(table), spec).select(names)
    if filter_expr is not None:
        lazy = lazy.filter(filter_expr)
    return lazy.collect().cast(dict(spec.polars_schema(tuple(names))))


def scan_snapshot(table: DeltaTable) -> pl.LazyFrame:
    """A scan of a table's loaded snapshot (for the control and dimension tables).

    An unpartitioned table without deletion vectors (the manifest, dim_symbol, symbol
    observations, the validation log: what :func:`read_table` reads in practice) is its
    snapshot's Parquet files read against the table's schema: ``pl.scan_delta`` would do the
    same but imports pyarrow and with it numpy (~0.05 s, and OpenBLAS threads that spin a
    while) in every ingest run and worker. Anything else goes through ``pl.scan_delta``.
    """
    features = table.protocol().reader_features or []
    if table.metadata().partition_columns or "deletionVectors" in features:
        return pl.scan_delta(table)
    schema = pl.Schema(table.schema())
    files = table.file_uris()
    if not files:
        return pl.LazyFrame(schema=schema)
    return pl.scan_parquet(files, schema=schema, missing_columns="insert")


def with_missing_columns(lazy: pl.LazyFrame, spec: TableSpec) -> pl.LazyFrame:
    """``lazy`` with the spec's columns a table written by an earlier version lacks, as
    nulls (see :func:`check_table_schema`'s ``allow_missing_nullable``)."""
    have = lazy.collect_schema()
    missing = [c for c in spec.columns if c.name not in have]
    if not missing:
        return lazy
    return lazy.with_columns(pl.lit(None, c.polars_dtype()).alias(c.name) for c in missing)


def arrow_batches(frame: pl.DataFrame, spec: TableSpec, schema: Any) -> Iterator[RecordBatch]:
    """``frame``'s rows as record batches carrying the table schema (with nullability)."""
    table = Table.from_arrow(frame.select(spec.column_names))
    for batch in table.to_batches():
        if batch.num_rows:
            yield RecordBatch.from_arrays(batch.columns, schema=schema)


class _Stream:
    """Checks and converts frames lazily while the writer pulls them, counting rows.

    A schema error raised inside the generator reaches Python as a generic ``DeltaError``
    from the Rust writer; keeping the original lets the caller re-raise the specific error.
    """

    def __init__(
        self,
        frames: Iterable[pl.DataFrame],
        spec: TableSpec,
        on_frame: Callable[[pl.DataFrame], None] | None = None,
    ) -> None:
        self.frames = frames
        self.spec = spec
        self.schema = spec.arrow_schema()
        self.on_frame = on_frame
        self.rows = 0
        self.error: BaseException | None = None

    def batches(self) -> Iterator[RecordBatch]:
        try:
            for frame in self.frames:
                check_frame(frame, self.spec)
                if self.on_frame is not None:
                    self.on_frame(frame)
                self.rows += frame.height
                yield from arrow_batches(frame, self.spec, self.schema)
        except BaseException as exc:
            self.error = exc
            raise

    def reader(self) -> RecordBatchReader:
        return RecordBatchReader.from_batches(self.schema, self.batches())


def write_stream(
    path: Path,
    spec: TableSpec,
    frames: Iterable[pl.DataFrame],
    *,
    mode: str = "append",
    predicate: str | None = None,
    commit_properties: CommitProperties | None = None,
    partition_by: Sequence[str] | None = None,
    on_frame: Callable[[pl.DataFrame], None] | None = None,
    schema_mode: str | None = None,
) -> int:
    """Stream ``frames`` into one Delta commit; returns the rows written.

    ``schema_mode="overwrite"`` (with ``mode="overwrite"``) replaces the table's schema in
    the same commit: only the decimal rewrite of an old lake uses it.

    A failing frame aborts the whole write: nothing is committed (Parquet files already
    written become orphans that ``vacuum_table(remove_orphans=True)`` removes).
    """
    parts = list(spec.partition_by if partition_by is None else partition_by)
    stream = _Stream(frames, spec, on_frame)
    try:
        write_deltalake(
            str(path),
            stream.reader(),
            mode=mode,
            partition_by=parts or None,
            predicate=predicate,
            schema_mode=schema_mode,
            commit_properties=commit_properties,
            post_commithook_properties=PostCommitHookProperties(create_checkpoint=True),
            configuration=TABLE_CONFIGURATION,
        )
    except Exception as exc:
        if stream.error is not None:
            raise stream.error from None
        raise exc
    return stream.rows


def sql_literal(value: object) -> str:
    """A SQL literal for predicates handed to delta-rs (strings quoted, quotes doubled)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def partition_predicate(partition: Mapping[str, str | None]) -> str:
    """``a = 'x' AND b IS NULL`` for one partition's key/value strings."""
    terms = [
        f"{key} IS NULL" if value is None else f"{key} = {sql_literal(value)}"
        for key, value in partition.items()
    ]
    return " AND ".join(terms) if terms else "true"


def add_actions(table: DeltaTable) -> pl.DataFrame:
    """The live files of ``table``: path, size_bytes, num_records, partition.<col>..."""
    return pl.DataFrame(table.get_add_actions(flatten=True))


# --- application transactions (exactly-once markers) ----------------------------------------

_CHECKPOINT_FILE = re.compile(r"^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?\.parquet$")


def app_transaction_versions(
    table: DeltaTable, path: Path, prefix: str = ""
) -> dict[str, int] | None:
    """Every application-transaction version of ``table``'s snapshot whose app id starts with
    ``prefix``, read in ONE pass over its log (the latest checkpoint's ``txn`` column plus the
    JSON commits after it); ``None`` when the log has a shape this reader does not handle.

    ``DeltaTable.transaction_version(app_id)`` answers one id per call and replays the log
    each time, so asking for a work unit's 2,000 files in a table that already carries 40,000
    markers took ~20 s; this reads the same state once. On ``None`` (v2 checkpoints, a
    transaction retention period, a missing or unreadable log file) callers fall back to
    ``transaction_version`` per id, which is always right, only slow.
    """
    try:
        return _read_app_transactions(table, Path(path), prefix)
    except Exception:  # any surprise in the log: the caller takes the slow, exact path
        return None


def _read_app_transactions(table: DeltaTable, path: Path, prefix: str) -> dict[str, int] | None:
    configuration = table.metadata().configuration or {}
    if "delta.setTransactionRetentionDuration" in configuration:
        return None  # expired transactions are dropped by the snapshot, not by this reader
    protocol = table.protocol()
    features = {*(protocol.reader_features or ()), *(protocol.writer_features or ())}
    if "v2Checkpoint" in features:
        return None
    version = table.version()
    log = path / "_delta_log"
    parts: dict[tuple[int, int], set[int]] = {}
    for name in (p.name for p in log.iterdir()):
        match = _CHECKPOINT_FILE.match(name)
        if match and int(match.group(1)) <= version:
            total = int(match.group(3) or 1)
            parts.setdefault((int(match.group(1)), total), set()).add(int(match.group(2) or 1))
    complete = [key for key, seen in parts.items() if seen == set(range(1, key[1] + 1))]
    versions: dict[str, int] = {}
    start = 0
    if complete:
        checkpoint, total = max(complete)
        start = checkpoint + 1
        if total == 1:
            files = [log / f"{checkpoint:020d}.checkpoint.parquet"]
        else:
            files = [
                log / f"{checkpoint:020d}.checkpoint.{k:010d}.{total:010d}.parquet"
                for k in range(1, total + 1)
            ]
        if "txn" in pl.read_parquet_schema(files[0]):
            txn = (
                pl.scan_parquet(files)
                .select(
                    app=pl.col("txn").struct.field("appId"),
                    version=pl.col("txn").struct.field("version"),
                )
                .filter(pl.col("app").is_not_null() & pl.col("app").str.starts_with(prefix))
                .collect()
            )
            versions.update(zip(txn["app"].to_list(), txn["version"].to_list(), strict=True))
    for commit in range(start, version + 1):
        with open(log / f"{commit:020d}.json", encoding="utf-8") as handle:
            for line in handle:
                if '"txn"' not in line:
                    continue
                action = json.loads(line).get("txn")
                if action is not None and str(action["appId"]).startswith(prefix):
                    versions[action["appId"]] = int(action["version"])
    return versions


def replace_exchange_rows(
    path: Path, spec: TableSpec, exchanges: Sequence[str], rows: pl.DataFrame
) -> int:
    """Make ``rows`` every row of ``exchanges`` in the (unpartitioned) table at ``path``, in
    one commit (an overwrite with a replaceWhere predicate); returns the new version."""
    predicate = f"exchange IN ({', '.join(sql_literal(e) for e in exchanges)})"
    mode = "overwrite" if open_table(path) is not None else "append"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_stream(
        path, spec, [rows], mode=mode, predicate=predicate if mode == "overwrite" else None
    )
    table = open_table(path)
    assert table is not None
    return table.version()
