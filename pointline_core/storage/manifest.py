"""The ingest manifest: one row per Bronze file identity, with a stable ``file_id``.

Identity is (vendor, data_type, bronze_path relative to the Bronze root, sha256). A file's id
is a function of its identity alone (:func:`file_id_for`, a 63-bit hash), so the same Bronze
gets the same ids whatever the order, grouping or number of runs that ingested it, and replay
tie order (which ends in file_id, file_seq) does not depend on ingest history. Ids are
non-negative Int64 and never reused; a hash collision between two identities is refused.

Cost model (the manifest grows by one row per Bronze file, so per-file work must not be a
table read): :meth:`ManifestStore.lookup` reads the table once per *call* and joins the
whole batch of identities against it; :meth:`~ManifestStore.allocate` and
:meth:`~ManifestStore.update` make one Delta commit per call. Commits are therefore
proportional to runs and batches, not to files x statuses. The log is checkpointed every
50 versions (table property) and the table's small files are compacted when they pile up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Sequence

import attrs
import polars as pl
from deltalake import DeltaTable, PostCommitHookProperties

from pointline_core.errors import ManifestError
from pointline_core.schemas.tables import INGEST_MANIFEST
from pointline_core.storage.delta import (
    create_table,
    open_table,
    read_table,
    scan_snapshot,
    write_stream,
)
from pointline_core.storage.lake import Lake

TABLE = INGEST_MANIFEST.name
LOCK_NAME = "control-ingest_manifest"
IDENTITY_COLUMNS = ("vendor", "data_type", "bronze_path", "sha256")
STATUSES = INGEST_MANIFEST.column("status").allowed or ()
#: Compact the manifest when it has more live files than this (each allocate/update adds one).
COMPACT_FILE_THRESHOLD = 32


@attrs.frozen(slots=True)
class FileIdentity:
    """What makes a Bronze file the same file: where it is (relative) and what it holds."""

    vendor: str
    data_type: str
    bronze_path: str
    sha256: str


@attrs.frozen(slots=True)
class ManifestEntry:
    """One ``ingest_manifest`` row."""

    file_id: int
    vendor: str
    data_type: str
    bronze_path: str
    sha256: str
    size_bytes: int | None
    mtime_ns: int | None
    status: str
    table_name: str | None
    rows_total: int | None
    rows_written: int | None
    rows_quarantined: int | None
    trading_date_min: dt.date | None
    trading_date_max: dt.date | None
    status_reason: str | None
    created_at_us: int
    updated_at_us: int

    @property
    def identity(self) -> FileIdentity:
        return FileIdentity(self.vendor, self.data_type, self.bronze_path, self.sha256)


@attrs.frozen(slots=True)
class StatusUpdate:
    """The new state of one file. Every field is written as given (None clears it)."""

    file_id: int
    status: str
    table_name: str | None = None
    rows_total: int | None = None
    rows_written: int | None = None
    rows_quarantined: int | None = None
    trading_date_min: dt.date | None = None
    trading_date_max: dt.date | None = None
    status_reason: str | None = None


_UPDATE_COLUMNS = tuple(a.name for a in attrs.fields(StatusUpdate))
_ENTRY_COLUMNS = tuple(a.name for a in attrs.fields(ManifestEntry))
assert _ENTRY_COLUMNS == INGEST_MANIFEST.column_names, "ManifestEntry must mirror the spec"


def file_id_for(identity: FileIdentity) -> int:
    """The file_id of an identity: blake2b-64 of vendor, data_type, bronze_path and sha256
    (separated by 0x1f), big-endian, top bit cleared. Stored in every event row: never change
    it."""
    key = "\x1f".join((identity.vendor, identity.data_type, identity.bronze_path, identity.sha256))
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & (2**63 - 1)


def _now_us() -> int:
    return time.time_ns() // 1_000


def _identity_frame(identities: Sequence[FileIdentity]) -> pl.DataFrame:
    return pl.DataFrame(
        {name: [getattr(i, name) for i in identities] for name in IDENTITY_COLUMNS},
        schema={name: pl.String for name in IDENTITY_COLUMNS},
    )


def manifest_entries(frame: pl.DataFrame) -> list[ManifestEntry]:
    """Rows of a manifest frame (as :meth:`ManifestStore.frame` returns) as entries."""
    return [ManifestEntry(**row) for row in frame.select(_ENTRY_COLUMNS).iter_rows(named=True)]


class ManifestStore:
    """``<lake>/control/ingest_manifest``."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.path = lake.table_path(TABLE, "control")
        self.spec = INGEST_MANIFEST

    def _read(self, columns: Sequence[str] | None = None) -> pl.DataFrame:
        return read_table(self.path, self.spec, columns=columns)

    def frame(self) -> pl.DataFrame:
        """The whole manifest, ordered by vendor, Bronze path and when each entry appeared."""
        return self._read().sort("vendor", "bronze_path", "created_at_us", "file_id")

    def lookup(self, identities: Sequence[FileIdentity]) -> dict[FileIdentity, ManifestEntry]:
        """Entries of the known identities among ``identities`` (one table read per call)."""
        if not identities:
            return {}
        table = open_table(self.path)
        if table is None:
            return {}
        wanted = _identity_frame(identities).unique()
        # Filtering on sha256 first lets the scan skip row groups by statistics.
        found = (
            pl.scan_delta(table)
            .filter(pl.col("sha256").is_in(wanted["sha256"].unique().to_list()))
            .join(wanted.lazy(), on=list(IDENTITY_COLUMNS), how="semi")
            .collect()
            .cast(dict(self.spec.polars_schema()))
        )
        return {e.identity: e for e in manifest_entries(found)}

    def allocate(
        self,
        identities: Sequence[FileIdentity],
        sizes: Sequence[int | None],
        mtimes: Sequence[int | None] | None = None,
    ) -> dict[FileIdentity, int]:
        """Ids for all ``identities``: known ones keep theirs, new ones get :func:`file_id_for`
        and are inserted as ``pending`` in one commit, under a cross-process lock.

        ``sizes`` and ``mtimes`` (ns) are the files' stat when hashed: a later run that sees
        the same size and mtime at the same path may reuse the identity without hashing.
        """
        mtimes = [None] * len(identities) if mtimes is None else mtimes
        if not (len(sizes) == len(mtimes) == len(identities)):
            raise ManifestError(
                f"allocate got {len(identities)} identities, {len(sizes)} sizes and "
                f"{len(mtimes)} mtimes; pass one size and mtime (or None) per identity"
            )
        if not identities:
            return {}
        size_of: dict[FileIdentity, int | None] = {}
        mtime_of: dict[FileIdentity, int | None] = {}
        for identity, size, mtime in zip(identities, sizes, mtimes, strict=True):
            size_of.setdefault(identity, size)
            mtime_of.setdefault(identity, mtime)
        ordered = list(size_of)
        with self.lake.lock(LOCK_NAME):
            known = self._read(["file_id", *IDENTITY_COLUMNS])
            wanted = _identity_frame(ordered).with_row_index("_order")
            joined = wanted.join(known, on=list(IDENTITY_COLUMNS), how="left").sort("_order")
            new = joined.filter(pl.col("file_id").is_null())
            new = new.with_columns(
                file_id=pl.Series([file_id_for(ordered[i]) for i in new["_order"]], dtype=pl.Int64)
            )
            self._refuse_collisions(new, known)
            if new.height:
                now = _now_us()
                rows = new.select(
                    "file_id",
                    *IDENTITY_COLUMNS,
                    size_bytes=pl.Series(
                        [size_of[ordered[i]] for i in new["_order"]], dtype=pl.Int64
                    ),
                    mtime_ns=pl.Series(
                        [mtime_of[ordered[i]] for i in new["_order"]], dtype=pl.Int64
                    ),
                    status=pl.lit("pending"),
                    created_at_us=pl.lit(now, pl.Int64),
                    updated_at_us=pl.lit(now, pl.Int64),
                )
                rows = pl.concat([self.spec.empty_frame(), rows], how="diagonal_relaxed").select(
                    self.spec.column_names
                )
                create_table(self.path, self.spec)
                write_stream(self.path, self.spec, [rows])
                self._maintain()
            ids = pl.concat(
                [joined.filter(pl.col("file_id").is_not_null()), new], how="vertical_relaxed"
            ).sort("_order")
        return {ordered[o]: int(i) for o, i in zip(ids["_order"], ids["file_id"], strict=True)}

    def _refuse_collisions(self, new: pl.DataFrame, known: pl.DataFrame) -> None:
        """Two identities with one id would share exactly-once markers: refuse (expected
        once in ~10^19 pairs, so in practice never)."""
        taken = pl.concat([known.select("file_id", *IDENTITY_COLUMNS), new.select(known.columns)])
        clash = taken.filter(pl.col("file_id").is_duplicated())
        if clash.height:
            raise ManifestError(
                f"file_id collision in {self.path}: {clash.sort('file_id').rows()[:4]} hash to "
                "the same id; rename one of the Bronze files and rerun"
            )

    def update(self, updates: Sequence[StatusUpdate]) -> None:
        """Apply a batch of status updates in one commit (a merge by file_id).

        Several updates of one file_id in a batch: the last wins.
        """
        if not updates:
            return
        bad = sorted({u.status for u in updates} - set(STATUSES))
        if bad:
            raise ManifestError(f"unknown manifest status {bad}; use one of {list(STATUSES)}")
        schema = {name: self.spec.column(name).polars_dtype() for name in _UPDATE_COLUMNS}
        source = (
            pl.DataFrame({name: [getattr(u, name) for u in updates] for name in schema}, schema)
            .unique("file_id", keep="last", maintain_order=True)
            .with_columns(updated_at_us=pl.lit(_now_us(), pl.Int64))
        )
        with self.lake.lock(LOCK_NAME):
            table = open_table(self.path)
            known = (
                pl.Series("file_id", [], pl.Int64)
                if table is None
                else scan_snapshot(table).select("file_id").collect()["file_id"]
            )
            unknown = source.filter(~pl.col("file_id").is_in(known.implode()))["file_id"]
            if unknown.len() or table is None:
                raise ManifestError(
                    f"status update for file_id {sorted(unknown.to_list())[:10]} not in the "
                    f"manifest at {self.path}; allocate ids with ManifestStore.allocate first"
                )
            self._merge(table, source)

    def record_stat(self, stats: Sequence[tuple[int, int, int]]) -> None:
        """Store ``(file_id, size_bytes, mtime_ns)`` of files found unchanged by hashing after
        their mtime moved, so the next run can skip hashing them again (one commit)."""
        if not stats:
            return
        source = pl.DataFrame(
            stats,
            schema={"file_id": pl.Int64, "size_bytes": pl.Int64, "mtime_ns": pl.Int64},
            orient="row",
        ).unique("file_id", keep="last", maintain_order=True)
        with self.lake.lock(LOCK_NAME):
            table = open_table(self.path)
            if table is None:
                raise ManifestError(f"no manifest at {self.path}; nothing to record stats for")
            self._merge(table, source)

    def _merge(self, table: DeltaTable, source: pl.DataFrame) -> None:
        """Set ``source``'s columns on the rows with its file_ids (one commit; caller holds
        the lock), then compact if small files piled up."""
        set_columns = [c for c in source.columns if c != "file_id"]
        (
            table.merge(
                source,
                predicate="t.file_id = s.file_id",
                source_alias="s",
                target_alias="t",
                post_commithook_properties=PostCommitHookProperties(create_checkpoint=True),
            )
            .when_matched_update({c: f"s.{c}" for c in set_columns})
            .execute()
        )
        self._maintain()

    def entries(self, status: str | None = None) -> list[ManifestEntry]:
        frame = self.frame()
        if status is not None:
            frame = frame.filter(pl.col("status") == status)
        return manifest_entries(frame)

    def _maintain(self) -> None:
        """Compact the manifest's small files once they pile up (caller holds the lock).

        Every allocate/update commit adds a file; a manifest read must not open thousands.
        """
        table = DeltaTable(str(self.path))
        if len(table.file_uris()) > COMPACT_FILE_THRESHOLD:
            table.optimize.compact(
                post_commithook_properties=PostCommitHookProperties(create_checkpoint=True)
            )
