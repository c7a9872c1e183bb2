"""The ``pointline`` command: a thin layer over the Python API.

Each command group lives in its own module exposing ``register(subparsers)``; commands print
a human table by default and the same attrs report as JSON with ``--json``.

:func:`main` returns the exit code (:mod:`pointline_core.cli.exit_codes`). Every failure ends
in ONE line ``pointline: error: ...`` on stderr; the traceback is printed above it only with
``--debug`` (before or after the subcommand) or ``POINTLINE_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from pointline_core.cli import exit_codes, interrupts
from pointline_core.errors import PointlineError

_COMMAND_MODULES = (
    "pointline_core.cli.plugins_cmd",
    "pointline_core.cli.ingest_cmd",
    "pointline_core.cli.symbols_cmd",
    "pointline_core.cli.storage_cmd",
    "pointline_core.cli.stats_cmd",
    "pointline_core.cli.calendar_cmd",
    "pointline_core.cli.upstream_cmd",
    "pointline_core.cli.query_cmd",
    "pointline_core.cli.research_cmd",
    "pointline_core.cli.plugin_kit_cmd",
)


DEBUG_HELP = "show the full traceback of an error (also: POINTLINE_DEBUG=1)"


def _add_debug(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--debug`` on the command and on every subcommand, so it may come before or after
    the subcommand; a subcommand's copy leaves the top-level value alone unless given."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help=DEBUG_HELP,
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                _add_debug(child, top=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pointline",
        description="Point-in-time market-data lake (Delta Lake).",
        epilog="Exit codes: "
        + "; ".join(f"{code} {meaning}" for code, meaning in exit_codes.MEANINGS.items())
        + ". See docs/troubleshooting.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    _add_debug(parser, top=True)
    return parser


def debug_enabled(args: argparse.Namespace | None = None) -> bool:
    """``--debug`` was given or ``POINTLINE_DEBUG`` is set to anything but empty/0/false."""
    if args is not None and getattr(args, "debug", False):
        return True
    return os.environ.get("POINTLINE_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _explain(exc: Exception, args: argparse.Namespace) -> PointlineError | None:
    """A one-line error for an exception no layer translated: a file-system refusal or a
    damaged table under the command's lake (or source/Bronze folder)."""
    from pathlib import Path

    from pointline_core.storage.environment import diagnose

    lake = getattr(args, "lake", None)
    table = getattr(args, "table", None)
    others = [getattr(args, name, None) for name in ("bronze", "source", "work_dir")]
    return diagnose(
        exc,
        lake_root=Path(lake) if isinstance(lake, str) else None,
        table=table if isinstance(table, str) else None,
        other_roots=[Path(r) for r in others if isinstance(r, str)],
    )


def main(argv: list[str] | None = None) -> int:
    interrupts.install()
    args = build_parser().parse_args(argv)

    if not debug_enabled(args):
        # delta-rs/polars otherwise append a Rust backtrace to error texts and panic notes.
        os.environ["RUST_BACKTRACE"] = "0"
        os.environ["RUST_LIB_BACKTRACE"] = "0"
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `pointline tables | head` closes stdout early; that is not an error.
        sys.stderr.close()
        return exit_codes.OK
    except KeyboardInterrupt:
        print("pointline: interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED
    except PointlineError as exc:
        _traceback_if(args)
        print(f"pointline: error: {_one_line(str(exc))}", file=sys.stderr)
        return exit_codes.USAGE_OR_ENVIRONMENT
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, never a traceback
        try:
            error = _explain(exc, args)
        except Exception:  # noqa: BLE001 - a failing diagnosis must not hide the error
            error = None
        _traceback_if(args)
        if error is not None:
            print(f"pointline: error: {_one_line(str(error))}", file=sys.stderr)
            return exit_codes.USAGE_OR_ENVIRONMENT
        what = _one_line(str(exc))[:500] or "(no message)"
        print(
            f"pointline: error: internal error: {type(exc).__name__}: {what} (rerun with "
            "--debug for the traceback and report it)",
            file=sys.stderr,
        )
        return exit_codes.INTERNAL_ERROR


def _traceback_if(args: argparse.Namespace) -> None:
    if debug_enabled(args):
        import traceback

        traceback.print_exc(file=sys.stderr)
