"""Run ``ingest`` in a child process, optionally SIGKILLing itself at a named point.

usage: python -m tests.ingest.child_run POINT BRONZE LAKE [stream]

Points: none, during_parse (after the first parsed batch), after_commit (right after the
first Silver Delta commit), after_quarantine_commit, before_manifest (before the manifest
records a finished file). The storage code itself is untouched; the kill wraps real calls.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from pointline_core.ingest.runner import IngestOptions, ingest
from pointline_core.plugins import Plugins
from pointline_core.serde import to_dict
from pointline_core.storage.events import EventStore
from pointline_core.storage.manifest import ManifestStore
from pointline_core.storage.quarantine import QuarantineStore
from tests.ingest import fake_vendor


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    if point == "during_parse":
        parse = fake_vendor.pointline_parse

        def parse_then_die(file, batch_rows):
            for i, batch in enumerate(parse(file, batch_rows)):
                if i == 1:
                    die()
                yield batch

        fake_vendor.pointline_parse = fake_vendor.hookimpl(parse_then_die)
    elif point in ("after_commit", "after_quarantine_commit"):
        target = QuarantineStore if point == "after_quarantine_commit" else EventStore
        commit = EventStore.commit_files

        def commit_then_die(self, written, file_ids):
            result = commit(self, written, file_ids)
            if type(self) is target and result.version is not None:
                die()
            return result

        EventStore.commit_files = commit_then_die
    elif point == "before_manifest":
        update = ManifestStore.update

        def die_before_final(self, updates):
            if any(u.status in ("success", "quarantined") for u in updates):
                die()
            return update(self, updates)

        ManifestStore.update = die_before_final
    elif point != "none":
        raise SystemExit(f"unknown point {point}")


def main() -> None:
    point, bronze, lake = sys.argv[1:4]
    stream = len(sys.argv) > 4 and sys.argv[4] == "stream"
    arm(point)
    plugins = Plugins()
    plugins.register(fake_vendor)
    opts = IngestOptions(batch_rows=10, stream_file_bytes=0 if stream else 32 << 20)
    report = ingest(bronze, lake, plugins=plugins, progress=False, options=opts)
    print(json.dumps(to_dict(report)))


if __name__ == "__main__":
    main()
