"""Apply a symbols change in a child process that SIGKILLs itself at a named point.

usage: python -m tests.symbols.restamp_child POINT LAKE

Points: before_restamp (dim_symbol committed, journal written, no row touched yet),
after_quarantine_append (uncovered rows appended to quarantine, Silver not yet rewritten),
during_rewrite (the Silver rewrite has written data for its first partition, not committed).
The storage code is untouched; the kill wraps real calls.
"""

from __future__ import annotations

import os
import signal
import sys

import pointline_core.symbols as symbols_module
from pointline_core.storage import restamp as restamp_module
from pointline_core.storage.quarantine import QuarantineStore
from tests.symbols.test_restamp_crash import CHANGE


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    if point == "before_restamp":

        def restamp_then_die(*args, **kwargs):
            die()

        symbols_module.restamp = restamp_then_die
    elif point == "after_quarantine_append":
        append = QuarantineStore.append

        def append_then_die(self, batches, file_ids):
            append(self, batches, file_ids)
            die()

        QuarantineStore.append = append_then_die
    elif point == "during_rewrite":
        write_stream = restamp_module.write_stream

        def write_then_die(path, spec, frames, **kwargs):
            first = next(iter(frames))

            def one_then_die():
                yield first
                die()

            write_stream(path, spec, one_then_die(), **kwargs)

        restamp_module.write_stream = write_then_die
    else:
        raise SystemExit(f"unknown point {point}")


def main() -> None:
    point, lake = sys.argv[1:3]
    arm(point)
    symbols_module.apply_symbols(CHANGE, lake, progress=False)
    raise SystemExit("the armed point was never reached")


if __name__ == "__main__":
    main()
