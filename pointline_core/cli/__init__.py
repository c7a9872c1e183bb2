"""The ``pointline`` command: a thin layer over the Python API.

Each command group lives in its own module exposing ``register(subparsers)``; commands print
a human table by default and the same attrs report as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from pointline_core.cli import interrupts
from pointline_core.errors import PointlineError

_COMMAND_MODULES = (
    "pointline_core.cli.plugins_cmd",
    "pointline_core.cli.ingest_cmd",
    "pointline_core.cli.symbols_cmd",
    "pointline_core.cli.storage_cmd",
    "pointline_core.cli.upstream_cmd",
    "pointline_core.cli.query_cmd",
    "pointline_core.cli.plugin_kit_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pointline", description="Point-in-time market-data lake (Delta Lake)."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    interrupts.install()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PointlineError as exc:
        print(f"pointline: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `pointline tables | head` closes stdout early; that is not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("pointline: interrupted", file=sys.stderr)
        return 130
