"""A one-line progress display on stderr, shown only on a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from pointline_core.ingest.report import FileResult


class Progress:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = 0
        self.done = 0
        self.rows = 0
        self.failed = 0
        self.started = time.monotonic()
        self._partial = 0
        self._last_draw = 0.0

    def hashing(self, files: int, size_bytes: int) -> Callable[[int], None]:
        """A callback for each file hashed (its size): the line shows how far hashing is,
        which on a first run over a large Bronze root takes minutes before any unit starts."""
        done = [0, 0]

        def advance(size: int) -> None:
            done[0] += 1
            done[1] += size
            now = time.monotonic()
            if self.enabled and (now - self._last_draw >= 0.1 or done[0] == files):
                self._last_draw = now
                line = (
                    f"\rhashing new files: {done[0]}/{files}  "
                    f"{done[1] / 1e9:,.2f}/{size_bytes / 1e9:,.2f} GB"
                )
                sys.stderr.write(line.ljust(80))
                sys.stderr.flush()

        return advance

    def start(self, files: int, size_bytes: int) -> None:
        self.total, self.started = files, time.monotonic()
        self._draw(f"{files} file(s), {size_bytes / 1e6:.1f} MB to ingest")

    def advance(self, result: FileResult) -> None:
        self.done += 1
        self.rows += result.rows_total - self._partial
        self._partial = 0
        self.failed += result.status == "failed"
        self._draw(result.rel_path)

    def batch(self, rows: int, current: str) -> None:
        """Rows of a file still streaming, so one large file shows progress too."""
        self._partial += rows
        self.rows += rows
        now = time.monotonic()
        if now - self._last_draw >= 0.1:
            self._draw(current)

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _draw(self, current: str) -> None:
        if not self.enabled:
            return
        self._last_draw = time.monotonic()
        elapsed = max(time.monotonic() - self.started, 1e-9)
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        line = (
            f"\r[{bar}] {self.done}/{self.total} files  {self.rows:,} rows  "
            f"{self.rows / elapsed:,.0f} rows/s  {self.failed} failed  {current[-40:]}"
        )
        sys.stderr.write(line[:160].ljust(160))
        sys.stderr.flush()
