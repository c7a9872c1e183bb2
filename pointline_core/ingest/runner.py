"""The ingest runner: Bronze root + lake root -> canonical Delta tables, exactly once per file.

Order of work (one module per stage)::

    discover -> gate (manifest) -> [per work unit, in a worker: work.py]
        parse -> canonicalize -> trading_date -> validate -> PIT symbol_id -> lineage
        -> uncommitted data files
    -> [in the driver: commit.py] one commit per table and zone -> manifest status

Small files are grouped into work units so thousands of per-symbol files become a handful of
commits; a large file is a unit of its own and streams through in bounded batches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import polars as pl

from pointline_core.errors import ExecutorError, RootLayoutError
from pointline_core.ingest.commit import Committer
from pointline_core.ingest.discover import discover
from pointline_core.ingest.executors import (
    EXECUTORS,
    Executor,
    ProcessExecutor,
    RayExecutor,
    UnitCrash,
    can_spawn,
    make_executor,
)
from pointline_core.ingest.gate import (
    DONE,
    UNREADABLE,
    ContentKey,
    GateDecision,
    content_key,
    gate,
    identify,
    mark_duplicates,
    stale_stats,
    stat_files,
)
from pointline_core.ingest.progress import Progress
from pointline_core.ingest.report import (
    FileResult,
    IngestReport,
    WorkerPeak,
    message_for,
    summarise,
)
from pointline_core.ingest.select import FileSelection, select_files
from pointline_core.ingest.sizing import decoded_size
from pointline_core.ingest.status import (
    duplicate_result,
    failed_result,
    reopen_update,
    status_update,
    superseded_update,
)
from pointline_core.ingest.units import plan_units, pool_size
from pointline_core.ingest.work import IngestOptions, UnitTask, WorkFile
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.resources import default_workers, usable_cpus
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import Lake, writer_lock
from pointline_core.storage.manifest import (
    FileIdentity,
    ManifestEntry,
    ManifestStore,
    manifest_entries,
)
from pointline_core.symbols import finish_pending


@attrs.frozen(slots=True)
class WorkItem:
    decision: GateDecision
    file_id: int

    def failed(self, reason: str) -> FileResult:
        return failed_result(self.decision.file, self.file_id, reason)


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
    allow_duplicate_content: bool = False,
    plugins: Plugins | None = None,
    options: IngestOptions | None = None,
    workers: int | None = None,
    executor: str | None = None,
    ray_address: str | None = None,
    selection: FileSelection | None = None,
) -> IngestReport:
    """Ingest every new Bronze file under ``bronze_root`` into the lake at ``lake_root``.

    ``vendors`` limits the plugins asked (default: all loaded). ``force`` re-ingests files
    already ingested, replacing their rows. ``dry_run`` walks every stage and writes nothing
    (no table, lock or log file). A bad file never stops the run: it is marked ``failed`` with
    a reason and the others go on. ``retry_quarantined`` re-ingests files that had rows
    quarantined (for example ``symbol_not_covered`` before their symbols were imported),
    replacing their rows. A file whose size and mtime match its manifest entry is not hashed
    again unless ``rehash``. A copy of a file (same vendor, data type, file name and sha256)
    whose rows already landed from another Bronze path, or land earlier in this run (path
    order), is recorded as ``duplicate`` and not written, unless
    ``allow_duplicate_content``. A file that cannot be
    read fails with an ``unreadable: ...`` reason; the others go on.

    ``workers`` (default: one per CPU this process may use, as many as the available memory
    holds: :func:`~pointline_core.resources.default_workers`; on a Ray cluster, its CPUs) and
    ``executor`` choose where units run:
    ``"serial"`` (in this process), ``"process"`` (a local pool; the default when workers > 1)
    or ``"ray"`` (``ray_address`` or ``RAY_ADDRESS``, else a local Ray). With ``plugins``
    given (in-process registrations) the default is ``"serial"``: pool workers load the
    installed plugins only. Content is the same for any choice (docs/scaling.md).

    ``selection`` limits the run to the discovered files matching its filters (table,
    exchange, trading dates, path glob; :mod:`pointline_core.ingest.select`): with ``force``
    it is a targeted backfill. Returns an :class:`IngestReport`.
    """
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    bronze = Path(bronze_root).resolve()
    lake = Lake(Path(lake_root).resolve())
    in_process = plugins is not None
    plugins = plugins if plugins is not None else load_plugins()
    opts = options or IngestOptions()
    if workers is None and executor == "ray":
        ray = RayExecutor(1, ray_address)
        if ray.address:  # a cluster: all of its CPUs
            workers = ray.cluster_cpus()
    choice = None if workers is not None or in_process else default_workers()
    workers = workers if workers is not None else (choice.workers if choice else 1)
    if executor is None:
        executor = "process" if workers > 1 else "serial"
    if executor not in EXECUTORS:
        raise ExecutorError(f"unknown executor {executor!r}; use one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise ExecutorError(f"--workers {workers}: give at least 1 worker")
    selection = selection or FileSelection()
    selection.check()
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
        if not dry_run:
            # An interrupted symbols import must finish before rows are stamped again.
            finish_pending(lake, plugins)
        run = _Run(
            plugins,
            bronze,
            lake,
            opts,
            redo,
            dry_run,
            rehash,
            Progress(progress),
            allow_duplicate_content=allow_duplicate_content,
            executor=executor,
            workers=workers,
            ray_address=ray_address,
        )
        found = discover(plugins, bronze, selected)
        if not found.files:
            _refuse_vendor_folder(bronze, selected)
        files = found.files
        if selection.active:
            files = select_files(files, selection, run.manifest.frame(), lake, plugins)
        try:
            results = run.process(files)
        finally:
            run.close()

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
        message=_selection_message(results, selection) or message_for(results, dry_run),
        selection=selection if selection.active else None,
        executor=executor,
        workers=workers,
        workers_limit=choice.limit if choice else None,
        worker_peak_rss_mb=tuple(
            WorkerPeak(name, round(peak / 2**20, 1))
            for name, peak in sorted(run.worker_peaks.items())
        ),
    )


def _selection_message(results: list[FileResult], selection: FileSelection) -> str | None:
    """A targeted run that matched nothing says so (not "no Bronze files found")."""
    if not selection.active or results:
        return None
    return "no discovered Bronze file matches the selection; nothing written"


def _refuse_vendor_folder(bronze: Path, vendors: Sequence[str]) -> None:
    """No Bronze file found: raise :class:`RootLayoutError` when ``bronze`` is a vendor's
    own folder (named after a vendor, without a sub-folder of that name)."""
    name = bronze.name
    if name in vendors and not (bronze / name).is_dir():
        raise RootLayoutError(
            f"no Bronze files found: {bronze} looks like the folder of vendor {name!r} itself; "
            f"pass its parent folder ({bronze.parent}): the Bronze layout is "
            "BRONZE/<vendor>/..."
        )


@contextlib.contextmanager
def _ingest_lock(lake: Lake, dry_run: bool, progress: bool) -> Iterator[None]:
    """Serialise runs on one lake: a second runner waits, then finds the files ingested.

    A dry run writes nothing, not even the lock file, so it takes no lock.
    """
    if dry_run:
        yield
        return
    with writer_lock(lake, "ingest", progress=progress):
        yield


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
        *,
        allow_duplicate_content: bool = False,
        executor: str = "serial",
        workers: int = 1,
        ray_address: str | None = None,
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
        self.allow_duplicate_content = allow_duplicate_content
        self.executor = executor
        self.workers = workers
        self.ray_address = ray_address
        self.run_id = uuid.uuid4().hex[:12]
        self.committer = Committer(lake, plugins, dry_run, opts.commit_units, opts.commit_seconds)
        self.worker_peaks: dict[str, int] = {}
        self._dim: pl.DataFrame | None = None
        self._pool: ProcessExecutor | RayExecutor | None = None
        self._costs: dict[tuple[Path, int], int] = {}

    @property
    def commits(self) -> Counter[str]:
        return self.committer.commits

    # -- gate ---------------------------------------------------------------------------

    def process(self, files: list[BronzeFile]) -> list[FileResult]:
        manifest = self.manifest.frame()
        known = self._known_entries(manifest, files)
        by_identity = {e.identity: e for e in known}
        by_path: dict[tuple[str, str, str], list[ManifestEntry]] = {}
        for e in known:
            by_path.setdefault((e.vendor, e.data_type, e.bronze_path), []).append(e)
        stats = stat_files(files)
        self._warm_up(
            [
                (f, st.st_size)
                for f, st in zip(files, stats, strict=True)
                if (f.vendor, f.data_type, f.rel_path) not in by_path
                and not isinstance(st, OSError)
            ]
        )
        identified = identify(
            files, stats, by_path, self.rehash, threads=usable_cpus(), progress=self.progress
        )
        if not self.dry_run:
            self.manifest.record_stat(stale_stats(identified, by_identity))
        decisions = gate(files, identified, by_identity, by_path, self.redo)
        if not self.allow_duplicate_content:
            decisions = mark_duplicates(decisions, self._landed(manifest, decisions))
        results = [d.skipped_result() for d in decisions if d.skip]
        todo = [d for d in decisions if not d.skip]
        if not self.dry_run:
            self._retire_unreadable_entries(decisions)
        if todo:
            ids = self._allocate(todo)
            items = [WorkItem(d, ids[d.identity]) for d in todo]
            results.extend(self._settle([i for i in items if i.decision.settled]))
            work = [i for i in items if not i.decision.settled]
            first = [i for i in work if i.decision.copy_of is None]
            copies = [i for i in work if i.decision.copy_of is not None]
            self.progress.start(len(work), sum(i.decision.size for i in work))
            results.extend(self._run_units(first))
            # Copies of a file of this run: duplicates once it wrote rows, else ingested.
            rows_at = {r.rel_path: r.rows_total for r in results if r.status in (*DONE, "skipped")}
            dup = [i for i in copies if rows_at.get(i.decision.copy_of or "", 0) > 0]
            results.extend(self._settle([self._as_duplicate(i) for i in dup]))
            results.extend(self._run_units([i for i in copies if i not in dup]))
            self.progress.finish()
        order = {f.rel_path: i for i, f in enumerate(files)}
        return sorted(results, key=lambda r: (r.vendor, order.get(r.rel_path, 0)))

    @staticmethod
    def _known_entries(manifest: pl.DataFrame, files: list[BronzeFile]) -> list[ManifestEntry]:
        """Manifest entries at the discovered paths, any content (one manifest read per run)."""
        paths = sorted({f.rel_path for f in files})
        return manifest_entries(manifest.filter(pl.col("bronze_path").is_in(paths)))

    @staticmethod
    def _landed(
        manifest: pl.DataFrame, decisions: list[GateDecision]
    ) -> dict[ContentKey, list[str]]:
        """Paths (sorted) of done entries that wrote rows, by content, for the contents of
        this run's files."""
        shas = sorted({d.identity.sha256 for d in decisions} - {UNREADABLE})
        landed = manifest.filter(
            pl.col("sha256").is_in(shas),
            pl.col("status").is_in(DONE),
            pl.col("rows_total") > 0,
        ).sort("bronze_path")
        out: dict[ContentKey, list[str]] = {}
        for e in manifest_entries(landed):
            out.setdefault(content_key(e.identity), []).append(e.bronze_path)
        return out

    @staticmethod
    def _as_duplicate(item: WorkItem) -> WorkItem:
        decision = attrs.evolve(item.decision, duplicate_of=item.decision.copy_of, copy_of=None)
        return WorkItem(decision, item.file_id)

    def _settle(self, items: list[WorkItem]) -> list[FileResult]:
        """Files decided at the gate: unreadable ones fail, duplicates are recorded; nothing
        is parsed. A duplicate that had rows (forced, or landed with
        ``allow_duplicate_content`` earlier) has them deleted first: it was set back to
        ``pending`` when its id was allocated, so a crash in between redoes this."""
        results = []
        updates = []
        for item in items:
            d = item.decision
            if d.unreadable is not None:
                result = item.failed(d.unreadable)
            else:
                assert d.duplicate_of is not None
                result = duplicate_result(d.file, item.file_id, d.duplicate_of)
                old = d.existing
                if not self.dry_run and old is not None and old.status in DONE and old.table_name:
                    self.committer.stores(old.table_name).forget([item.file_id])
            results.append(result)
            e = d.existing
            if e is None or (e.status, e.status_reason) != (result.status, result.reason):
                updates.append(result)
        if not self.dry_run:
            self.manifest.update([status_update(r) for r in updates])
        return results

    def _retire_unreadable_entries(self, decisions: list[GateDecision]) -> None:
        """A file that was unreadable and is now read and found already ingested: its
        ``unreadable`` entry is superseded (processed files do this when they land)."""
        updates = [
            superseded_update(old, d.existing.file_id)
            for d in decisions
            if d.skip and d.existing is not None
            for old in d.supersedes
            if old.sha256 == UNREADABLE
        ]
        self.manifest.update(updates)

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
            if d.existing is not None
            and d.existing.status != "pending"
            and (not d.settled or d.existing.status in DONE)
        ]
        if reopen:
            self.manifest.update(reopen)
        return ids

    def _cost(self, path: Path, size: int) -> int:
        """A file's decoded size, read once per run (the warm-up and the planning ask)."""
        key = (path, size)
        if key not in self._costs:
            self._costs[key] = decoded_size(path, size)
        return self._costs[key]

    def _units(self, items: list[WorkItem]) -> list[tuple[list[WorkItem], bool]]:
        """Units and whether each streams (:func:`~pointline_core.ingest.units.plan_units`)."""
        costs = [self._cost(i.decision.file.path, i.decision.size) for i in items]
        spread = self.workers if self.executor != "serial" else 1
        return [
            ([items[p] for p in unit.files], unit.stream)
            for unit in plan_units(costs, self.opts, spread)
        ]

    # -- per unit -----------------------------------------------------------------------

    def _dim_symbol(self) -> pl.DataFrame:
        if self._dim is None:
            self._dim = DimSymbolStore(self.lake).frame()
        return self._dim

    def _task(
        self, index: int, unit: list[WorkItem], stream: bool, dim_version: int | None
    ) -> UnitTask:
        files = tuple(WorkFile(i.decision.file, i.file_id, i.decision.size) for i in unit)
        return UnitTask(
            index=index,
            files=files,
            stream=stream,
            lake_root=str(self.lake.root),
            dim_version=dim_version,
            options=self.opts,
            dry_run=self.dry_run,
            run_id=self.run_id,
        )

    def _warm_up(self, new: list[tuple[BronzeFile, int]]) -> None:
        """Start the workers (process pool or Ray) before hashing when the new files will
        make several units, so they import while the driver hashes and plans: one per unit up
        to ``workers`` (a run of one unit stays in the driver and starts none)."""
        if self.workers <= 1 or self.dry_run or self.executor not in ("process", "ray"):
            return
        if self.executor == "process" and not can_spawn():
            return
        costs = [self._cost(f.path, size) for f, size in new]
        size = pool_size(costs, self.opts, self.workers)
        if size:
            if self.executor == "process":
                self._pool = ProcessExecutor(size)
            else:
                self._pool = RayExecutor(size, self.ray_address)
            self._pool.warm()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def _executor(self, units: int) -> Executor:
        # A single unit gains nothing from a pool: it runs in the driver.
        name = "serial" if units <= 1 or self.workers <= 1 else self.executor
        if self._pool is not None and name == self._pool.name:
            return self._pool
        return make_executor(
            name,
            min(self.workers, units),
            plugins=self.plugins,
            dim_symbol=self._dim_symbol,
            on_batch=self.progress.batch,
            ray_address=self.ray_address,
        )

    def _run_units(self, items: list[WorkItem]) -> list[FileResult]:
        """Hand the units to the executor; commit each result as it arrives."""
        planned = self._units(items)
        if not planned:
            return []
        dim_version = DimSymbolStore(self.lake).version()
        units = [unit for unit, _ in planned]
        tasks = [
            self._task(i, unit, stream, dim_version) for i, (unit, stream) in enumerate(planned)
        ]
        out: list[FileResult] = []
        try:
            self._collect(units, tasks, out)
        except BaseException:
            # Record what did commit when the run ends early (an error, Ctrl-C); if even that
            # fails (a full disk), those files stay pending and the next run redoes them.
            with contextlib.suppress(Exception):
                self.committer.flush()
            raise
        self.committer.flush()
        return out

    def _collect(
        self, units: list[list[WorkItem]], tasks: list[UnitTask], out: list[FileResult]
    ) -> None:
        for outcome in self._executor(len(tasks)).run(tasks):
            unit = units[outcome.index]
            supersedes = {i.file_id: i.decision.supersedes for i in unit}
            if isinstance(outcome, UnitCrash):
                results = [f.failed(outcome.reason) for f in tasks[outcome.index].files]
                self.committer.record(results, {})
            else:
                results = self.committer.commit(outcome, supersedes)
                peak = self.worker_peaks.get(outcome.worker, 0)
                self.worker_peaks[outcome.worker] = max(peak, outcome.peak_rss_bytes)
            for r in results:
                self.progress.advance(r)
            out.extend(results)
