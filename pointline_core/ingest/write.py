"""Helpers of the write side: a table's Silver and quarantine stores (the driver forgets
earlier attempts through them, :mod:`pointline_core.ingest.commit` commits through them) and
the bounded quarantine spill of a streamed file (used in workers).

Exactly-once rests on three facts (the full argument is in docs/architecture.md):
1. every commit that carries a file's rows also records the file id as a Delta application
   transaction, atomically with the rows;
2. before a file is (re)written, any rows a previous attempt committed for it are deleted,
   found through those transactions;
3. the manifest says ``success``/``quarantined`` only after all of a file's commits landed, and
   a file is set back to ``pending`` before a forced rewrite deletes anything.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import polars as pl

from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from pointline_core.storage.quarantine import QuarantineStore


class Stores:
    """The Silver and quarantine store of one table (created lazily, cached per run)."""

    def __init__(self, lake: Lake, spec: TableSpec) -> None:
        self.spec = spec
        self.events = EventStore(lake, spec)
        self.quarantine = QuarantineStore(lake, spec)

    def forget(self, file_ids: Sequence[int]) -> None:
        """Delete rows an earlier attempt committed for these files (Silver and quarantine)."""
        for store in (self.events, self.quarantine):
            committed = store.committed_file_ids(file_ids)
            if committed:
                store.delete_files(sorted(committed))


class QuarantineSpill:
    """Quarantine rows of a streamed file: in memory up to a bound, then Parquet in a temp dir.

    A file whose every row is bad must not be held in memory any more than a good one.
    """

    def __init__(self, max_rows_in_memory: int) -> None:
        self.max_rows = max_rows_in_memory
        self.frames: list[pl.DataFrame] = []
        self.rows_in_memory = 0
        self.paths: list[Path] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def add(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        self.frames.append(frame)
        self.rows_in_memory += frame.height
        if self.rows_in_memory >= self.max_rows:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="pointline-quarantine-")
            path = Path(self._tmp.name) / f"part-{len(self.paths):06d}.parquet"
            pl.concat(self.frames).write_parquet(path)
            self.paths.append(path)
            self.frames, self.rows_in_memory = [], 0

    @property
    def has_rows(self) -> bool:
        return bool(self.paths or self.frames)

    def drain(self) -> Iterator[pl.DataFrame]:
        for path in self.paths:
            yield pl.read_parquet(path)
        yield from self.frames

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def non_empty(frames: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    return (f for f in frames if f.height)
