"""The README demo: list what is installed (grows into an end-to-end ingest)."""

from __future__ import annotations

import sys

from pointline_core.cli import main

if __name__ == "__main__":
    sys.exit(main(["vendors"]) or main(["tables"]))
