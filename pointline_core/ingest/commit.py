"""Role: **commit** (the driver only). Turns workers' :class:`UnitResult` s into Delta
commits, then the manifest and validation-log updates. Finished units are committed in
groups (``IngestOptions.commit_units``, 8), so commits do not grow with the number of
workers; a group is also committed once its oldest unit has waited
``IngestOptions.commit_seconds`` (5 s), so slow units (large files) become visible as they
finish and a crash redoes little work.

Per table of a group: rows an earlier attempt committed for the unit's files (and for the
files they supersede) are deleted first, found through their ``pointline-file-<id>``
markers; then the worker's data files become visible in ONE commit per table and zone that
carries the markers of every file in it. Only then does the manifest say ``success`` /
``quarantined``. So a crash anywhere leaves each file either not visible, or visible once
and marked, and the next run redoes what the manifest does not call done (the full argument
is in docs/architecture.md).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence

from pointline_core.ingest.report import FileResult
from pointline_core.ingest.status import status_update, superseded_update
from pointline_core.ingest.work import UnitResult
from pointline_core.ingest.write import Stores
from pointline_core.plugins import Plugins
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import ManifestEntry, ManifestStore, StatusUpdate
from pointline_core.storage.partitioned_writer import WrittenFiles
from pointline_core.storage.validation_log import ValidationLog, ValidationOutcome

_DONE = ("success", "quarantined")
_NOTHING = WrittenFiles((), 0)
#: Manifest and validation-log updates are batched across units up to this many files (or
#: the end of the run): a manifest commit per unit would dominate runs of many small units.
FLUSH_FILES = 5_000


class Committer:
    """Commits finished units for one run; counts commits per table for the report."""

    def __init__(
        self,
        lake: Lake,
        plugins: Plugins,
        dry_run: bool,
        group_units: int,
        group_seconds: float,
    ) -> None:
        self.lake = lake
        self.plugins = plugins
        self.dry_run = dry_run
        self.group_units = group_units
        self.group_seconds = group_seconds
        self._oldest = 0.0  # when the first pending unit arrived (time.monotonic)
        self._last = time.monotonic()  # when the previous unit arrived (or the run began)
        self.manifest = ManifestStore(lake)
        self.validation = ValidationLog(lake)
        self.commits: Counter[str] = Counter()
        self._stores: dict[str, Stores] = {}
        self._updates: list[StatusUpdate] = []
        self._outcomes: list[ValidationOutcome] = []
        self._pending: list[tuple[UnitResult, Mapping[int, Sequence[ManifestEntry]]]] = []

    def stores(self, table: str) -> Stores:
        if table not in self._stores:
            self._stores[table] = Stores(self.lake, self.plugins.tables.get(table))
        return self._stores[table]

    def commit(
        self,
        result: UnitResult,
        supersedes: Mapping[int, Sequence[ManifestEntry]],
    ) -> list[FileResult]:
        """Take a finished unit; its rows become visible with the next group commit: at
        ``group_units`` units; or at once when units come slowly (this one arrived
        ``group_seconds`` or more after the previous one, or the oldest pending one has
        waited that long: large files are committed as they finish); or at :meth:`flush`.
        Returns its files' outcomes."""
        results = [o.result for o in result.files]
        if self.dry_run:
            return results
        now, previous = time.monotonic(), self._last
        self._last = now
        if not self._pending:
            self._oldest = now
        self._pending.append((result, supersedes))
        slow = now - previous >= self.group_seconds or now - self._oldest >= self.group_seconds
        if slow or len(self._pending) >= self.group_units:
            self._commit_pending()
        return results

    def _commit_pending(self) -> None:
        """One commit per table and zone for the pending units' data files, carrying every
        file's marker, after deleting what earlier attempts committed; then queue the
        manifest updates."""
        group, self._pending = self._pending, []
        ids: dict[str, list[int]] = {}
        old: dict[str, list[int]] = {}
        files: dict[tuple[str, str], list[WrittenFiles]] = {}
        for result, supersedes in group:
            for o in result.files:
                r = o.result
                if r.status in _DONE and r.table is not None and r.file_id is not None:
                    ids.setdefault(r.table, []).append(r.file_id)
                    old.setdefault(r.table, []).extend(
                        e.file_id for e in supersedes.get(r.file_id, ())
                    )
            for w in result.writes:
                files.setdefault((w.table, w.zone), []).append(w.written)
        for table, table_ids in ids.items():
            stores = self.stores(table)
            stores.forget(table_ids + old[table])
            for store in (stores.events, stores.quarantine):
                parts = files.get((table, store.zone), [])
                written = WrittenFiles(
                    tuple(f for w in parts for f in w.files), sum(w.rows for w in parts)
                )
                done = store.commit_files(written if parts else _NOTHING, table_ids)
                if done.version is not None:
                    self.commits[table] += 1
        for result, supersedes in group:
            self._outcomes += [v for o in result.files for v in o.validation]
            self.record([o.result for o in result.files], supersedes)

    def record(
        self, results: Sequence[FileResult], supersedes: Mapping[int, Sequence[ManifestEntry]]
    ) -> None:
        """Queue the manifest update of a unit's files (replaced entries included); written
        by :meth:`flush`, always after the unit's data commits."""
        if self.dry_run:
            return
        self._updates += [status_update(r) for r in results]
        self._updates += [
            superseded_update(old, r.file_id)
            for r in results
            if r.status in _DONE and r.file_id is not None
            for old in supersedes.get(r.file_id, ())
        ]
        if len(self._updates) >= FLUSH_FILES:
            self.flush()

    def flush(self) -> None:
        """Commit the pending units' data, then one manifest commit and one validation-log
        commit for the queued units. Until then their files read ``pending``: a crash before
        it makes the next run redo them (deleting committed rows through their markers
        first), never count them twice."""
        if self._pending:
            self._commit_pending()
        if self._updates:
            self.manifest.update(self._updates)
            self._updates = []
        if self._outcomes:
            self.validation.append(self._outcomes)
            self._outcomes = []
