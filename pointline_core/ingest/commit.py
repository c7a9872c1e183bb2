"""Role: **commit** (the driver only). Turns a worker's :class:`UnitResult` into Delta
commits, then the manifest and validation-log updates.

Per table of the unit: rows an earlier attempt committed for the unit's files (and for the
files they supersede) are deleted first, found through their ``pointline-file-<id>``
markers; then the worker's data files become visible in ONE commit per table and zone that
carries the markers of every file in it. Only then does the manifest say ``success`` /
``quarantined``. So a crash anywhere leaves each file either not visible, or visible once
and marked, and the next run redoes what the manifest does not call done (the full argument
is in docs/architecture.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from pointline_core.ingest.report import FileResult
from pointline_core.ingest.status import status_update, superseded_update
from pointline_core.ingest.work import UnitResult, WorkFile
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

    def __init__(self, lake: Lake, plugins: Plugins, dry_run: bool) -> None:
        self.lake = lake
        self.plugins = plugins
        self.dry_run = dry_run
        self.manifest = ManifestStore(lake)
        self.validation = ValidationLog(lake)
        self.commits: Counter[str] = Counter()
        self._stores: dict[str, Stores] = {}
        self._updates: list[StatusUpdate] = []
        self._outcomes: list[ValidationOutcome] = []

    def stores(self, table: str) -> Stores:
        if table not in self._stores:
            self._stores[table] = Stores(self.lake, self.plugins.tables.get(table))
        return self._stores[table]

    def commit(
        self,
        result: UnitResult,
        supersedes: Mapping[int, Sequence[ManifestEntry]],
    ) -> list[FileResult]:
        """Make a unit's rows visible and record its files' outcomes."""
        results = [o.result for o in result.files]
        if self.dry_run:
            return results
        written: dict[str, list[int]] = {}
        for r in results:
            if r.status in _DONE and r.table is not None and r.file_id is not None:
                written.setdefault(r.table, []).append(r.file_id)
        files = {(w.table, w.zone): w for w in result.writes}
        for table, ids in written.items():
            stores = self.stores(table)
            old = [e.file_id for i in ids for e in supersedes.get(i, ())]
            stores.forget(ids + old)
            for store in (stores.events, stores.quarantine):
                write = files.get((table, store.zone))
                done = store.commit_files(write.written if write else _NOTHING, ids)
                if done.version is not None:
                    self.commits[table] += 1
        self._outcomes += [v for o in result.files for v in o.validation]
        self.record(results, supersedes)
        return results

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
        """One manifest commit and one validation-log commit for the queued units. Until
        then their files read ``pending``: a crash before it makes the next run redo them
        (deleting the committed rows through their markers first), never count them twice."""
        if self._updates:
            self.manifest.update(self._updates)
            self._updates = []
        if self._outcomes:
            self.validation.append(self._outcomes)
            self._outcomes = []


def crashed_results(files: Sequence[WorkFile], reason: str) -> list[FileResult]:
    """Outcomes of a unit whose worker died: every file failed with ``reason``."""
    return [f.failed(reason) for f in files]
