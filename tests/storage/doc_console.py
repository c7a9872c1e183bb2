"""Run the ``console`` blocks of a doc page: every ``$ pointline ...`` command must succeed.

A block is a sequence of steps: a line ``$ cmd`` (continued by a trailing backslash) followed
by the output lines the doc shows. Shown output must appear in the real output, line by line
and in order; ``...`` stands for any lines. ``$ cat FILE`` shows a file the later commands
read: its "output" is written to FILE. Placeholders (``/data/lake``, ``LAKE``) are replaced
before the command runs; ``# comments`` are dropped.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

import attrs
import pytest

from pointline_core.cli import main


@attrs.frozen
class Step:
    command: str
    shown: tuple[str, ...]


def console_blocks(doc: Path) -> list[list[Step]]:
    """The console blocks of ``doc``, each as its steps."""
    blocks = re.findall(r"```console\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S)
    parsed = []
    for block in blocks:
        steps: list[tuple[str, list[str]]] = []
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("$ "):
                command = line[2:]
                while command.endswith("\\"):
                    i += 1
                    command = command[:-1] + " " + lines[i].strip()
                steps.append((command, []))
            else:
                assert steps, f"{doc.name}: console block starts with output: {line!r}"
                steps[-1][1].append(line)
            i += 1
        parsed.append([Step(c, tuple(shown)) for c, shown in steps])
    return parsed


def _in_order(shown: tuple[str, ...], actual: list[str]) -> bool:
    """Every shown line appears in ``actual`` in this order (``...`` matches anything)."""
    position = 0
    for line in shown:
        if line.strip() == "...":
            continue
        try:
            position = actual.index(line.rstrip(), position) + 1
        except ValueError:
            return False
    return True


def run_block(
    steps: list[Step],
    replacements: Mapping[str, str],
    capsys: pytest.CaptureFixture[str],
    cwd: Path,
) -> int:
    """Run one console block's steps in ``cwd``; returns the pointline commands run."""
    ran = 0
    for step in steps:
        text = step.command
        for placeholder, value in replacements.items():
            text = text.replace(placeholder, value)
        argv = shlex.split(text, comments=True)
        if argv[0] == "cat":
            (cwd / argv[1]).write_text("\n".join(step.shown) + "\n", encoding="utf-8")
            continue
        assert argv[0] == "pointline", f"doc shows a command the test cannot run: {text}"
        capsys.readouterr()
        code = main(argv[1:])
        out, err = capsys.readouterr()
        assert code == 0, f"`{step.command}` exited {code}: {err}"
        actual = [line.rstrip() for line in out.splitlines()]
        assert _in_order(step.shown, actual), (
            f"`{step.command}` printed:\n{out}\nbut the doc shows:\n" + "\n".join(step.shown)
        )
        ran += 1
    return ran
