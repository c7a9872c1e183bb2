"""Run ``ingest`` with 2 process workers and SIGKILL the driver at its N-th unit commit
(after workers wrote that unit's data files, before it is committed); N = 0 never kills.

usage: python -m tests.parallel.driver_child BRONZE LAKE N
"""

from __future__ import annotations

import os
import signal
import sys

from pointline_core import ingest
from pointline_core.ingest.commit import Committer
from pointline_core.ingest.work import IngestOptions


def main() -> None:
    bronze, lake, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    commit = Committer.commit
    calls = []

    def commit_or_die(self, result, supersedes):
        calls.append(1)
        if len(calls) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return commit(self, result, supersedes)

    Committer.commit = commit_or_die
    opts = IngestOptions(batch_rows=10, stream_file_bytes=0)
    report = ingest(bronze, lake, progress=True, options=opts, workers=2, executor="process")
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
