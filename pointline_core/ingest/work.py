"""Role: **work**. The row stages of one unit of Bronze files, anywhere the plugins are
installed (the driver's process, a local worker process, a Ray worker).

``run_unit(task)`` is a function of the task (files, ids, options), the plugins and a pinned
dim_symbol snapshot: parse -> canonicalize -> lineage -> trading_date -> validate -> PIT
symbol_id, then the Silver and quarantine rows are written as Parquet data files under the
table folders. It never touches a ``_delta_log``, the manifest or the validation log: it
returns the files it wrote (:class:`~pointline_core.storage.partitioned_writer.DataFile`),
per-file results and validation outcomes, and the driver commits them
(:mod:`pointline_core.ingest.commit`). Files a worker wrote but nobody committed (the worker
was killed, the driver died) are referenced by no commit: readers never see them and
``pointline vacuum LAKE TABLE --remove-orphans`` removes them.

Memory per worker is bounded as on one process: small files of a unit are processed
together, a large file streams in batches through bounded per-partition buffers.
"""

from __future__ import annotations

import os
import resource
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import attrs
import polars as pl

from pointline_core.errors import PointlineError
from pointline_core.ingest.canonicalize import canonicalize, canonicalize_files
from pointline_core.ingest.failure import FileFailed
from pointline_core.ingest.lineage import with_lineage_of_parts
from pointline_core.ingest.parse import parsed_files
from pointline_core.ingest.report import FileResult
from pointline_core.ingest.status import failed_result, finished_result, validation_outcomes
from pointline_core.ingest.transform import (
    FileContext,
    FileStats,
    finish,
    numbered,
    numbered_batches,
    transform_batches,
)
from pointline_core.ingest.validate import plugin_rules, rules_for
from pointline_core.ingest.write import QuarantineSpill, non_empty
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.environment import write_failure
from pointline_core.storage.events import checked_batch
from pointline_core.storage.lake import Lake
from pointline_core.storage.partitioned_writer import (
    WrittenFiles,
    discard_files,
    write_files,
)
from pointline_core.storage.quarantine import quarantine_spec
from pointline_core.storage.validation_log import ValidationOutcome

Zone = Literal["silver", "quarantine"]


@attrs.frozen(slots=True)
class IngestOptions:
    """Tuning knobs. Defaults keep peak memory to a few hundred MB on any file size."""

    #: rows per parsed batch (the streaming unit)
    batch_rows: int = 100_000
    #: files at least this large once decoded (estimated, see ingest/sizing.py) stream alone
    #: in their own unit; processed whole, a file costs ~5x its decoded size in memory
    stream_file_bytes: int = 48 << 20
    #: a unit of small files closes before this many decoded bytes or at this many files
    unit_max_bytes: int = 48 << 20
    unit_max_files: int = 2_000
    #: quarantine rows of a streamed file kept in memory before spilling to a temp file
    quarantine_spill_rows: int = 1_000_000
    #: small files' parsed rows handed to ``pointline_canonicalize_files`` in one call
    canonicalize_rows: int = 250_000
    #: small files handed to ``pointline_parse_files`` in one call, at most this many and
    #: this many bytes on disk
    parse_files: int = 256
    parse_files_bytes: int = 16 << 20
    #: finished units committed together (one Delta commit per table and zone), at most:
    #: with many workers the driver's commits, not the workers, are the first bottleneck
    #: (docs/scaling.md); fewer once the oldest of them has waited ``commit_seconds``
    commit_units: int = 8
    commit_seconds: float = 5.0


@attrs.frozen(slots=True)
class WorkFile:
    """One Bronze file of a unit, with the id the driver allocated for it."""

    file: BronzeFile
    file_id: int
    size: int

    def failed(self, reason: str) -> FileResult:
        return failed_result(self.file, self.file_id, reason)

    def finished(self, table: str, stats: FileStats) -> FileResult:
        return finished_result(self.file, self.file_id, table, stats)


@attrs.frozen(slots=True)
class UnitTask:
    """What a worker needs to process one unit (picklable; no row data)."""

    index: int
    files: tuple[WorkFile, ...]
    stream: bool
    lake_root: str
    dim_version: int | None
    options: IngestOptions
    dry_run: bool
    run_id: str


@attrs.frozen(slots=True)
class TableWrite:
    """Uncommitted data files of one table and zone, and the file ids whose rows they hold."""

    table: str
    zone: Zone
    written: WrittenFiles
    file_ids: tuple[int, ...]


@attrs.frozen(slots=True)
class FileOutcome:
    result: FileResult
    validation: tuple[ValidationOutcome, ...]


@attrs.frozen(slots=True)
class UnitResult:
    """What a worker returns: per-file outcomes (in unit order), data files to commit, and
    who did the work with how much memory."""

    index: int
    files: tuple[FileOutcome, ...]
    writes: tuple[TableWrite, ...]
    worker: str
    peak_rss_bytes: int


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


class _Unit:
    """One unit's work in progress (the data files written so far, for cleanup)."""

    def __init__(
        self,
        task: UnitTask,
        plugins: Plugins,
        dim_symbol: pl.DataFrame,
        on_batch: Callable[[int, str], None] | None,
    ) -> None:
        self.task = task
        self.plugins = plugins
        self.dim_symbol = dim_symbol
        self.on_batch = on_batch
        self.lake = Lake(task.lake_root)
        self.opts = task.options
        self.timezones = plugins.exchanges.timezones()
        self.day_rolls = plugins.exchanges.day_rolls()
        self.writes: list[TableWrite] = []
        first = task.files[0].file_id if task.files else 0
        self.prefix = f"f{first}-{task.run_id}-"

    def context(self, item: WorkFile) -> FileContext:
        file = item.file
        if file.vendor not in self.plugins.names():
            failures = "; ".join(
                f"{f.name}: {f.error}" for f in self.plugins.failures if f.name == file.vendor
            )
            raise FileFailed(
                f"worker_plugin_missing: plugin {file.vendor!r} is loaded in the driver but not "
                f"in worker {worker_name()}"
                + (f" ({failures})" if failures else "")
                + "; install the plugin wherever workers run, or use --executor serial"
            )
        try:
            spec = self.plugins.table_for(file.vendor, file.data_type)
        except PointlineError as exc:
            raise FileFailed(f"unmapped_data_type: {exc}") from None
        extra = plugin_rules(self.plugins, file, spec)
        return FileContext(
            file=file,
            spec=spec,
            file_id=item.file_id,
            timezones=self.timezones,
            dim_symbol=self.dim_symbol,
            rules=rules_for(spec, extra),
            quarantine_columns=quarantine_spec(spec).column_names,
            day_rolls=self.day_rolls,
        )

    def write(
        self, spec: TableSpec, zone: Zone, frames: Iterator[pl.DataFrame], ids: Sequence[int]
    ) -> None:
        """Write one table's rows as uncommitted data files (dry run: consume only)."""
        if self.task.dry_run:
            for _ in frames:
                pass
            return
        target = spec if zone == "silver" else quarantine_spec(spec)
        root = self.lake.table_path(spec.name, zone)
        try:
            written = write_files(
                root,
                target,
                non_empty(frames),
                check=checked_batch(target, frozenset(ids)),
                prefix=self.prefix,
            )
        except Exception as exc:
            # A full disk or a read-only lake ends the run; it is no fault of the file.
            error = write_failure(exc, root, self.lake.root)
            if error is None:
                raise
            raise error from None
        if written.files:
            self.writes.append(TableWrite(spec.name, zone, written, tuple(ids)))

    def discard(self) -> None:
        for w in self.writes:
            discard_files(self.lake.table_path(w.table, w.zone), w.written.files)

    def batch(self) -> list[FileOutcome]:
        """Small files: parse runs of them in one plugin call, canonicalize runs of them in
        one plugin call, run the core stages once per table and rules."""
        results: dict[int, tuple[FileResult, FileStats]] = {}
        groups: dict[tuple[str, str], _Group] = {}
        parsed: list[_Parsed] = []
        rows = 0
        ahead = _ParseAhead(self.plugins, self.task.files, self.opts)
        for at, item in enumerate(self.task.files):
            raws = ahead.take(at)  # taken first: a file that fails its context drops them too
            try:
                ctx = self.context(item)
                if raws is None:
                    raws = list(numbered_batches(self.plugins, ctx.file, self.opts.batch_rows))
            except FileFailed as exc:
                results[item.file_id] = (item.failed(exc.reason), FileStats())
                continue
            parsed.append(_Parsed(item, ctx, raws))
            rows += sum(raw.height for raw, _ in raws)
            if rows >= self.opts.canonicalize_rows:
                self._canonicalize(parsed, groups, results)
                parsed, rows = [], 0
        self._canonicalize(parsed, groups, results)
        tables: dict[str, tuple[TableSpec, list[int], list[pl.DataFrame], list[pl.DataFrame]]] = {}
        for (table, _), group in groups.items():
            ctx, items = group.ctx, group.items
            done = finish(group.rows(), ctx) if group.frames else None
            _, ids, goods, bads = tables.setdefault(table, (ctx.spec, [], [], []))
            for item in items:
                if done is not None and item.file_id in done.failed:
                    results[item.file_id] = (item.failed(done.failed[item.file_id]), FileStats())
                    continue
                stats = (done.stats.get(item.file_id) if done else None) or FileStats()
                results[item.file_id] = (item.finished(table, stats), stats)
                ids.append(item.file_id)
            if done is not None:
                goods.append(done.good)
                bads.append(done.bad)
        for spec, ids, goods, bads in tables.values():
            if ids:
                self.write(spec, "silver", iter(goods), ids)
                self.write(spec, "quarantine", iter(bads), ids)
        return [_outcome(*results[item.file_id]) for item in self.task.files]

    def _canonicalize(
        self,
        parsed: list[_Parsed],
        groups: dict[tuple[str, str], _Group],
        results: dict[int, tuple[FileResult, FileStats]],
    ) -> None:
        """Canonicalize parsed small files, one plugin call per (plugin, table) where the
        plugin offers ``pointline_canonicalize_files``, else batch by batch; add them to
        their group in file order. A file whose canonicalize fails is failed alone."""
        canon: dict[int, list[pl.DataFrame]] = {}
        by_table: dict[tuple[str, str], list[_Parsed]] = {}
        for p in parsed:
            by_table.setdefault((p.ctx.file.vendor, p.ctx.spec.name), []).append(p)
        for run in by_table.values():
            files = [p.ctx.file for p in run for _ in p.raws]
            frames = [raw for p in run for raw, _ in p.raws]
            together = canonicalize_files(self.plugins, run[0].ctx.spec, files, frames)
            if together is not None:
                at = 0
                for p in run:
                    canon[p.item.file_id] = together[at : at + len(p.raws)]
                    at += len(p.raws)
                continue
            for p in run:
                try:
                    canon[p.item.file_id] = [
                        canonicalize(self.plugins, p.ctx.file, p.ctx.spec, raw) for raw, _ in p.raws
                    ]
                except FileFailed as exc:
                    results[p.item.file_id] = (p.item.failed(exc.reason), FileStats())
        for p in parsed:
            if p.item.file_id not in canon:
                continue
            # Files share one pass of the core stages only if their rules are the same.
            rules = repr([(r.name, r.severity, str(r.bad)) for r in p.ctx.rules])
            group = groups.setdefault((p.ctx.spec.name, rules), _Group(p.ctx))
            group.items.append(p.item)
            for frame, (_, offset) in zip(canon[p.item.file_id], p.raws, strict=True):
                group.frames.append(frame)
                group.parts.append((p.item.file_id, offset, frame.height))

    def stream(self) -> list[FileOutcome]:
        """A large file: batches stream into bounded partition buffers; quarantine rows spill
        to a temporary file beyond a bound."""
        (item,) = self.task.files
        stats = FileStats()
        spill = QuarantineSpill(self.opts.quarantine_spill_rows)
        try:
            ctx = self.context(item)

            def goods() -> Iterator[pl.DataFrame]:
                for good, bad in transform_batches(self.plugins, ctx, stats, self.opts.batch_rows):
                    spill.add(bad)
                    if self.on_batch is not None:
                        self.on_batch(good.height + bad.height, item.file.rel_path)
                    yield good

            self.write(ctx.spec, "silver", goods(), [item.file_id])
            self.write(ctx.spec, "quarantine", spill.drain(), [item.file_id])
        except FileFailed as exc:
            self.discard()
            self.writes.clear()
            return [_outcome(item.failed(exc.reason), stats)]
        finally:
            spill.close()
        return [_outcome(item.finished(ctx.spec.name, stats), stats)]


class _ParseAhead:
    """Small files parsed a run at a time through ``pointline_parse_files``: the numbered
    batches of the files ahead, until taken. A run is consecutive files of one plugin,
    bounded by :attr:`IngestOptions.parse_files` and ``parse_files_bytes``; a run the plugin
    declines is parsed file by file (never asked again)."""

    def __init__(self, plugins: Plugins, files: Sequence[WorkFile], opts: IngestOptions) -> None:
        self.plugins = plugins
        self.files = files
        self.opts = opts
        self.ready: dict[int, list[tuple[pl.DataFrame, int]]] = {}
        self.until = 0  # files before this index were offered to the plugin already

    def take(self, at: int) -> list[tuple[pl.DataFrame, int]] | None:
        """File ``at``'s numbered batches, or None: parse it with ``pointline_parse``."""
        if at >= self.until:
            self._parse_run(at)
        return self.ready.pop(at, None)

    def _parse_run(self, at: int) -> None:
        vendor = self.files[at].file.vendor
        end, size = at, 0
        while (
            end < len(self.files)
            and end - at < self.opts.parse_files
            and self.files[end].file.vendor == vendor
            and (end == at or size + self.files[end].size <= self.opts.parse_files_bytes)
        ):
            size += self.files[end].size
            end += 1
        self.until = end
        if vendor not in self.plugins.names():
            return  # context() fails these files with the reason
        run = [item.file for item in self.files[at:end]]
        answer = parsed_files(self.plugins, run, self.opts.batch_rows)
        for i, batches in enumerate(answer or ()):
            self.ready[at + i] = list(numbered(batches))


@attrs.frozen(slots=True)
class _Parsed:
    """A small file's raw batches (with their offsets), waiting to be canonicalized."""

    item: WorkFile
    ctx: FileContext
    raws: list[tuple[pl.DataFrame, int]]


@attrs.define
class _Group:
    """Small files of one table and rule set: their checked batches, lineage added once."""

    ctx: FileContext
    items: list[WorkFile] = attrs.field(factory=list)
    frames: list[pl.DataFrame] = attrs.field(factory=list)
    parts: list[tuple[int, int, int]] = attrs.field(factory=list)

    def rows(self) -> pl.DataFrame:
        frame = pl.concat(self.frames, how="diagonal_relaxed")
        self.frames.clear()  # the concatenation holds the rows now
        return with_lineage_of_parts(frame, self.parts)


def _outcome(result: FileResult, stats: FileStats) -> FileOutcome:
    return FileOutcome(result, tuple(validation_outcomes(result, stats)))


def run_unit(
    task: UnitTask,
    plugins: Plugins,
    dim_symbol: pl.DataFrame,
    *,
    on_batch: Callable[[int, str], None] | None = None,
) -> UnitResult:
    """Process one unit and write its rows as uncommitted data files (see the module doc).

    A bad file fails alone (its outcome says why). An unexpected error (a bug, a full disk)
    removes the data files this unit wrote and propagates.
    """
    unit = _Unit(task, plugins, dim_symbol, on_batch)
    try:
        outcomes = unit.stream() if task.stream else unit.batch()
    except BaseException:
        unit.discard()
        raise
    return UnitResult(
        index=task.index,
        files=tuple(outcomes),
        writes=tuple(unit.writes),
        worker=worker_name(),
        peak_rss_bytes=peak_rss_bytes(),
    )
