"""``pointline new-plugin NAME DIR``: generate a working vendor plugin skeleton."""

from __future__ import annotations

import argparse
from pathlib import Path

from pointline_core.errors import PointlineError


class NewPluginError(PointlineError):
    """The skeleton cannot be generated (the CLI prints the message and exits with 2)."""


def new_plugin(name: str, dest: Path) -> list[Path]:
    """Write the plugin skeleton for vendor ``name`` into ``dest`` and return its files.

    A thin wrapper over :func:`pointline_core.testing.template.write_plugin` that turns a bad
    name or a non-empty folder into a :class:`PointlineError` the CLI reports cleanly.
    """
    from pointline_core.testing.template import TemplateError, write_plugin

    try:
        return write_plugin(name, dest)
    except TemplateError as exc:
        raise NewPluginError(str(exc)) from None


def _new_plugin(args: argparse.Namespace) -> int:
    dest = Path(args.dir)
    files = new_plugin(args.name, dest)
    print(f"created vendor plugin {args.name!r} in {dest}:")
    for path in files:
        print(f"  {path.relative_to(dest).as_posix()}")
    print(
        "\nnext steps:\n"
        f"  cd {dest}\n"
        '  pip install -e ".[test]"   # again after every change to its entry points\n'
        "  pytest                     # the conformance suite, green as generated\n"
        "  pointline vendors          # lists the plugin\n"
        "then adapt the hooks module to your vendor; see docs/plugins.md"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``new-plugin`` to the ``pointline`` command."""
    p = sub.add_parser(
        "new-plugin",
        help="generate a vendor plugin skeleton that passes the conformance suite",
        description="Generate a vendor plugin: pyproject with the entry point, a hooks module, "
        "one sample Bronze file and a conformance test module that passes as generated.",
    )
    p.add_argument("name", help="vendor name (entry point, Bronze folder, package suffix)")
    p.add_argument("dir", help="folder to create (must not exist or be empty)")
    p.set_defaults(func=_new_plugin)
