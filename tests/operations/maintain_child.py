"""Run ``ingest`` of the fake vendor in a child process (next to a parent running maintain).

usage: python -m tests.operations.maintain_child BRONZE LAKE
"""

from __future__ import annotations

import json
import sys

from pointline_core.ingest.runner import IngestOptions, ingest
from pointline_core.plugins import Plugins
from pointline_core.serde import to_dict
from tests.ingest import fake_vendor


def main() -> None:
    bronze, lake = sys.argv[1:3]
    plugins = Plugins()
    plugins.register(fake_vendor)
    # One file per unit and one unit per commit, so maintain interleaves with several commits.
    opts = IngestOptions(batch_rows=10, unit_max_files=1, commit_units=1)
    report = ingest(bronze, lake, plugins=plugins, progress=False, options=opts)
    print(json.dumps(to_dict(report)))


if __name__ == "__main__":
    main()
