"""The ingest runner: Bronze root + lake root -> canonical Delta tables, exactly once per file.

Order of work (one module per stage)::

    discover -> gate (manifest) -> [per work unit]
        parse -> canonicalize -> trading_date -> validate -> PIT symbol_id -> lineage
        -> write (one commit per table) -> manifest status (one commit)

Small files are grouped into work units so thousands of per-symbol files become a handful of
commits; a large file is a unit of its own and streams through in bounded batches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import attrs
import filelock
import polars as pl

from pointline_core.errors import PointlineError, RootLayoutError
from pointline_core.ingest.discover import discover
from pointline_core.ingest.failure import FileFailed
from pointline_core.ingest.gate import DONE, GateDecision, gate, identify, stale_stats
from pointline_core.ingest.progress import Progress
from pointline_core.ingest.report import (
    FileResult,
    IngestReport,
    message_for,
    summarise,
)
from pointline_core.ingest.status import (
    failed_result,
    finished_result,
    reopen_update,
    status_update,
    superseded_update,
    validation_outcomes,
)
from pointline_core.ingest.transform import (
    FileContext,
    FileStats,
    canonical_batches,
    finish,
    transform_batches,
)
from pointline_core.ingest.validate import plugin_rules, rules_for
from pointline_core.ingest.write import QuarantineSpill, Stores, non_empty
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import (
    FileIdentity,
    ManifestEntry,
    ManifestStore,
    manifest_entries,
)
from pointline_core.storage.quarantine import quarantine_spec
from pointline_core.storage.validation_log import ValidationLog


@attrs.frozen(slots=True)
class IngestOptions:
    """Tuning knobs. Defaults keep peak memory to a few hundred MB on any file size."""

    #: rows per parsed batch (the streaming unit)
    batch_rows: int = 100_000
    #: files at least this large (bytes on disk) stream alone in their own commit
    stream_file_bytes: int = 32 << 20
    #: a unit of small files closes at this many bytes on disk or this many files
    unit_max_bytes: int = 64 << 20
    unit_max_files: int = 2_000
    #: quarantine rows of a streamed file kept in memory before spilling to a temp file
    quarantine_spill_rows: int = 1_000_000


@attrs.frozen(slots=True)
class WorkItem:
    decision: GateDecision
    file_id: int

    def failed(self, reason: str) -> FileResult:
        return failed_result(self.decision.file, self.file_id, reason)

    def finished(self, table: str, stats: FileStats) -> FileResult:
        return finished_result(self.decision.file, self.file_id, table, stats)


def ingest(
    bronze_root: str | Path,
    lake_root: str | Path,
    vendors: Sequence[str] | None = None,
    force: bool = False,
    dry_run: bool = False,
    progress: bool = True,
    *,
    retry_quarantined: bool = False,
    rehash: bool = False,
    plugins: Plugins | None = None,
    options: IngestOptions | None = None,
) -> IngestReport:
    """Ingest every new Bronze file under ``bronze_root`` into the lake at ``lake_root``.

    ``vendors`` limits the plugins asked (default: all loaded). ``force`` re-ingests files
    already ingested, replacing their rows. ``dry_run`` walks every stage and writes nothing
    (no table, lock or log file). A bad file never stops the run: it is marked ``failed`` with
    a reason and the others go on. ``retry_quarantined`` re-ingests files that had rows
    quarantined (for example ``symbol_not_covered`` before their symbols were imported),
    replacing their rows. A file whose size and mtime match its manifest entry is not hashed
    again unless ``rehash``. Returns an :class:`IngestReport`.
    """
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    bronze = Path(bronze_root).resolve()
    lake = Lake(Path(lake_root).resolve())
    plugins = plugins if plugins is not None else load_plugins()
    opts = options or IngestOptions()
    selected = list(vendors) if vendors else plugins.names()
    for name in selected:
        plugins.vendor(name)  # unknown vendor -> UnknownVendorError before touching anything
    if not bronze.is_dir():
        raise RootLayoutError(
            f"Bronze root {bronze} does not exist or is not a directory: pass the folder that "
            "holds one sub-folder per vendor (BRONZE/<vendor>/..., the BRONZE argument of "
            "`pointline extract`)"
        )

    with _ingest_lock(lake, dry_run, progress):
        redo = DONE if force else ("quarantined",) if retry_quarantined else ()
        run = _Run(plugins, bronze, lake, opts, redo, dry_run, rehash, Progress(progress))
        found = discover(plugins, bronze, selected)
        results = run.process(found.files)

    return IngestReport(
        bronze_root=str(bronze),
        lake_root=str(lake.root),
        dry_run=dry_run,
        force=force,
        started_at=started_at,
        elapsed_s=round(time.monotonic() - started, 3),
        files=results,
        unrecognised=found.unrecognised,
        vendor_errors=found.errors,
        tables=summarise(results, run.commits),
        message=message_for(results, dry_run),
    )


@contextlib.contextmanager
def _ingest_lock(lake: Lake, dry_run: bool, progress: bool) -> Iterator[None]:
    """Serialise runs on one lake: a second runner waits, then finds the files ingested.

    A dry run writes nothing, not even the lock file, so it takes no lock.
    """
    if dry_run:
        yield
        return
    lock = lake.lock("ingest")
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if progress:
            print(
                f"waiting for another ingest run on {lake.root} to finish (lock {lock.lock_file})",
                file=sys.stderr,
                flush=True,
            )
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


class _Run:
    """State of one ingest run (stores, dim_symbol, counters)."""

    def __init__(
        self,
        plugins: Plugins,
        bronze: Path,
        lake: Lake,
        opts: IngestOptions,
        redo: tuple[str, ...],
        dry_run: bool,
        rehash: bool,
        progress: Progress,
    ) -> None:
        self.plugins = plugins
        self.bronze = bronze
        self.lake = lake
        self.opts = opts
        self.redo = redo
        self.dry_run = dry_run
        self.rehash = rehash
        self.progress = progress
        self.manifest = ManifestStore(lake)
        self.validation = ValidationLog(lake)
        self.commits: Counter[str] = Counter()
        self._stores: dict[str, Stores] = {}
        self._dim: pl.DataFrame | None = None
        self._timezones = plugins.exchanges.timezones()

    # -- gate ---------------------------------------------------------------------------

    def process(self, files: list[BronzeFile]) -> list[FileResult]:
        known = self._known_entries(files)
        by_identity = {e.identity: e for e in known}
        by_path: dict[tuple[str, str, str], list[ManifestEntry]] = {}
        for e in known:
            by_path.setdefault((e.vendor, e.data_type, e.bronze_path), []).append(e)
        identified = identify(files, by_path, self.rehash)
        if not self.dry_run:
            self.manifest.record_stat(stale_stats(identified, by_identity))
        decisions = gate(files, identified, by_identity, by_path, self.redo)
        results = [d.skipped_result() for d in decisions if d.skip]
        todo = [d for d in decisions if not d.skip]
        if not todo:
            return results
        ids = self._allocate(todo)
        items = [WorkItem(d, ids[d.identity]) for d in todo]
        self.progress.start(len(items), sum(d.size for d in todo))
        for unit in self._units(items):
            results.extend(self._process_unit(unit))
        self.progress.finish()
        order = {f.rel_path: i for i, f in enumerate(files)}
        return sorted(results, key=lambda r: (r.vendor, order.get(r.rel_path, 0)))

    def _known_entries(self, files: list[BronzeFile]) -> list[ManifestEntry]:
        """Manifest entries at the discovered paths, any content: one manifest read per run."""
        paths = sorted({f.rel_path for f in files})
        frame = self.manifest.frame().filter(pl.col("bronze_path").is_in(paths))
        return manifest_entries(frame)

    def _allocate(self, todo: list[GateDecision]) -> dict[FileIdentity, int]:
        if self.dry_run:
            # Provisional negative ids keep new files apart; reports show them as None.
            return {
                d.identity: d.existing.file_id if d.existing else -(i + 1)
                for i, d in enumerate(todo)
            }
        ids = self.manifest.allocate(
            [d.identity for d in todo], [d.size for d in todo], [d.mtime_ns for d in todo]
        )
        # A file that was done (forced) or half-done goes back to pending before any of its
        # old rows are deleted, so a crash in between makes the next run redo it.
        reopen = [
            reopen_update(ids[d.identity])
            for d in todo
            if d.existing is not None and d.existing.status != "pending"
        ]
        if reopen:
            self.manifest.update(reopen)
        return ids

    def _units(self, items: list[WorkItem]) -> Iterator[list[WorkItem]]:
        unit: list[WorkItem] = []
        unit_bytes = 0
        for item in items:
            if item.decision.size >= self.opts.stream_file_bytes:
                yield [item]
                continue
            unit.append(item)
            unit_bytes += item.decision.size
            if unit_bytes >= self.opts.unit_max_bytes or len(unit) >= self.opts.unit_max_files:
                yield unit
                unit, unit_bytes = [], 0
        if unit:
            yield unit

    # -- per unit -----------------------------------------------------------------------

    def _stores_for(self, table: str) -> Stores:
        if table not in self._stores:
            self._stores[table] = Stores(self.lake, self.plugins.tables.get(table))
        return self._stores[table]

    def _dim_symbol(self) -> pl.DataFrame:
        if self._dim is None:
            self._dim = DimSymbolStore(self.lake).frame()
        return self._dim

    def _context(self, item: WorkItem) -> FileContext:
        file = item.decision.file
        try:
            spec = self.plugins.table_for(file.vendor, file.data_type)
        except PointlineError as exc:
            raise FileFailed(f"unmapped_data_type: {exc}") from None
        extra = plugin_rules(self.plugins, file, spec)
        return FileContext(
            file=file,
            spec=spec,
            file_id=item.file_id,
            timezones=self._timezones,
            dim_symbol=self._dim_symbol(),
            rules=rules_for(spec, extra),
            quarantine_columns=quarantine_spec(spec).column_names,
        )

    def _process_unit(self, unit: list[WorkItem]) -> list[FileResult]:
        if len(unit) == 1 and unit[0].decision.size >= self.opts.stream_file_bytes:
            outcomes = [self._stream_one(unit[0])]
        else:
            outcomes = self._batch(unit)
        results = [r for r, _ in outcomes]
        if not self.dry_run:
            updates = [status_update(r) for r in results]
            updates += [
                superseded_update(old, item.file_id)
                for item, r in zip(unit, results, strict=True)
                if r.status in ("success", "quarantined")
                for old in item.decision.supersedes
            ]
            self.manifest.update(updates)
            self.validation.append([o for r, s in outcomes for o in validation_outcomes(r, s)])
        for r in results:
            self.progress.advance(r)
        return results

    def _batch(self, unit: list[WorkItem]) -> list[tuple[FileResult, FileStats]]:
        """Small files: canonicalize each, run the core stages once per table, then one
        commit per table for the whole unit."""
        results: dict[int, tuple[FileResult, FileStats]] = {}
        groups: dict[tuple[str, str], tuple[FileContext, list[WorkItem], list[pl.DataFrame]]] = {}
        for item in unit:
            try:
                ctx = self._context(item)
                frames = list(canonical_batches(self.plugins, ctx, self.opts.batch_rows))
            except FileFailed as exc:
                results[item.file_id] = (
                    item.failed(exc.reason),
                    FileStats(),
                )
                continue
            # Files share one pass of the core stages only if their rules are the same.
            key = (ctx.spec.name, repr([(r.name, r.severity, str(r.bad)) for r in ctx.rules]))
            group = groups.setdefault(key, (ctx, [], []))
            group[1].append(item)
            group[2].extend(frames)
        writes: dict[str, tuple[list[int], list[pl.DataFrame], list[pl.DataFrame]]] = {}
        for (table, _), (ctx, items, frames) in groups.items():
            done = finish(pl.concat(frames, how="diagonal_relaxed"), ctx) if frames else None
            ids, goods, bads = writes.setdefault(table, ([], [], []))
            for item in items:
                if done is not None and item.file_id in done.failed:
                    results[item.file_id] = (
                        item.failed(done.failed[item.file_id]),
                        FileStats(),
                    )
                    continue
                stats = (done.stats.get(item.file_id) if done else None) or FileStats()
                results[item.file_id] = (
                    item.finished(table, stats),
                    stats,
                )
                ids.append(item.file_id)
            if done is not None:
                goods.append(done.good)
                bads.append(done.bad)
        for table, (ids, goods, bads) in writes.items():
            if ids and not self.dry_run:
                stores = self._stores_for(table)
                stores.forget(ids + self._superseded(unit, ids))
                self._append(stores.events, goods, ids)
                self._append(stores.quarantine, bads, ids)
        return [results[item.file_id] for item in unit]

    @staticmethod
    def _superseded(unit: list[WorkItem], written: list[int]) -> list[int]:
        done = set(written)
        return [e.file_id for i in unit if i.file_id in done for e in i.decision.supersedes]

    def _append(
        self, store: EventStore, frames: Iterable[pl.DataFrame], ids: Sequence[int]
    ) -> None:
        """One commit of ``frames`` (a list, or a generator that streams) marking ``ids``."""
        if isinstance(frames, list) and not any(f.height for f in frames):
            return
        result = store.append(non_empty(frames), ids)
        if result.version is not None:
            self.commits[store.spec.name] += 1

    def _stream_one(self, item: WorkItem) -> tuple[FileResult, FileStats]:
        """A large file: stream batches straight into one commit; quarantine spills to disk."""
        stats = FileStats()
        spill = QuarantineSpill(self.opts.quarantine_spill_rows)
        try:
            ctx = self._context(item)
            stores = self._stores_for(ctx.spec.name)

            def goods() -> Iterator[pl.DataFrame]:
                for good, bad in transform_batches(self.plugins, ctx, stats, self.opts.batch_rows):
                    spill.add(bad)
                    self.progress.batch(good.height + bad.height, item.decision.file.rel_path)
                    if good.height:
                        yield good

            if self.dry_run:
                for _ in goods():
                    pass
            else:
                stores.forget([item.file_id, *self._superseded([item], [item.file_id])])
                self._append(stores.events, goods(), [item.file_id])
                if spill.has_rows:
                    self._append(stores.quarantine, spill.drain(), [item.file_id])
        except FileFailed as exc:
            return item.failed(exc.reason), stats
        finally:
            spill.close()
        return item.finished(ctx.spec.name, stats), stats
