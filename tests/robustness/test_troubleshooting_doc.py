"""docs/troubleshooting.md stays in step with the code.

For every ``### `pointline: error: ...``` entry:

* each literal fragment of the message (the text between ``<placeholders>``) occurs in a
  string or f-string of ``pointline_core`` (the code can say it);
* the entry names a test that exists, and that test checks a fragment of the message (the
  robustness tests assert the fragment in the real stderr line, so the message is produced);
* the exception class it names exists.

And: every exception class of ``pointline_core/errors.py`` is listed on the page, and the
exit-code table is exactly :mod:`pointline_core.cli.exit_codes`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pointline_core.errors as errors_module
from pointline_core.cli import exit_codes

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "troubleshooting.md"
PREFIX = "pointline: error: "
PLACEHOLDER = re.compile(r"<[^<>]*>")
TEST_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[([\w-]+)\])?`")
#: Fragments shorter than this ("(", "); ") say nothing about the message.
MIN_FRAGMENT = 4
#: A test must check at least one fragment this long.
MIN_CHECKED = 10


def _entries() -> list[tuple[str, str]]:
    """(message, the entry's text up to the next heading) for every message heading."""
    text = DOC.read_text()
    found = []
    for match in re.finditer(r"^### (`+) ?(.*?) ?\1$", text, flags=re.M):
        message = match.group(2)
        if not message.startswith(PREFIX):
            continue
        rest = text[match.end() :]
        body = rest.split("\n#", 1)[0]
        found.append((message, body))
    return found


def _fragments(message: str) -> list[str]:
    """The literal text between placeholders, without the punctuation at its edges."""
    body = message.removeprefix(PREFIX)
    parts = (p.strip(" ():;,.") for p in PLACEHOLDER.split(body))
    return [p for p in parts if len(p) >= MIN_FRAGMENT]


def _strings(tree: ast.AST) -> list[str]:
    """Every string constant and f-string under ``tree`` (implicit concatenation joined),
    f-string placeholders as NUL."""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            out.append(
                "".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values)
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append(node.value)
    return out


def _core_strings() -> list[str]:
    out: list[str] = []
    for path in (ROOT / "pointline_core").rglob("*.py"):
        out.extend(_strings(ast.parse(path.read_text(), str(path))))
    return out


def _test_strings(file: str, name: str, case: str | None) -> list[str]:
    """The strings the test ``file::name`` checks (for a parametrized ``case``: those of the
    row of the module's case table whose first item is that id)."""
    path = ROOT / file
    assert path.is_file(), f"{file} does not exist"
    tree = ast.parse(path.read_text())
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert name in functions, f"{file} has no test {name}"
    if case is None:
        return _strings(functions[name])
    rows = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Tuple)
        and n.elts
        and isinstance(n.elts[0], ast.Constant)
        and n.elts[0].value == case
    ]
    assert rows, f"{file}::{name} has no case {case!r}"
    return _strings(rows[0])


def _checkable(message: str) -> list[str]:
    """Fragments long enough to identify the message."""
    return [f for f in _fragments(message) if len(f) >= MIN_CHECKED]


def test_the_page_lists_messages():
    assert len(_entries()) >= 40


def test_every_message_fragment_is_in_the_code():
    strings = _core_strings()
    missing = [
        (message, fragment)
        for message, _ in _entries()
        for fragment in _fragments(message)
        if not any(fragment in s for s in strings)
    ]
    assert not missing, f"documented text the code never says: {missing}"


def test_every_message_names_a_test_that_checks_it():
    problems = []
    for message, body in _entries():
        ids = TEST_ID.findall(body)
        if not ids:
            problems.append(f"{message!r}: name the test that produces it")
            continue
        file, name, case = ids[0]
        strings = _test_strings(file, name, case or None)
        checked = [f for f in _checkable(message) if any(f in t for t in strings)]
        if not checked:
            problems.append(f"{message!r}: {file}::{name} checks no fragment of it")
    assert not problems, "\n".join(problems)


def test_every_message_names_its_exit_code_and_class():
    for message, body in _entries():
        head = body.strip().splitlines()[0]
        match = re.match(r"Exit (\d+) · ", head)
        assert match, f"{message!r}: first line must say 'Exit N · ...': {head!r}"
        assert int(match.group(1)) in _documented_codes()
        classes = [c for c in re.findall(r"`(\w+)`", head) if c.endswith(("Error", "Rejected"))]
        if int(match.group(1)) == exit_codes.USAGE_OR_ENVIRONMENT:
            assert classes, f"{message!r}: name the exception class"
        for name in classes:
            if name == "LakeNameError":
                continue  # defined next to the lake (a ValueError too)
            assert hasattr(errors_module, name), f"{message!r}: no class {name}"


def test_every_exception_class_is_documented():
    text = DOC.read_text()
    classes = [
        name
        for name, obj in vars(errors_module).items()
        if isinstance(obj, type) and issubclass(obj, errors_module.PointlineError)
    ]
    assert len(classes) > 20
    missing = [c for c in classes if f"`{c}`" not in text]
    assert not missing, f"docs/troubleshooting.md does not list {missing}"


def _documented_codes() -> dict[int, str]:
    text = DOC.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {
        int(code): meaning for code, meaning in re.findall(r"^\| (\d+) \| (.+) \|$", text, re.M)
    }


def test_exit_code_table_is_the_code():
    constants = {
        value
        for name, value in vars(exit_codes).items()
        if name.isupper() and isinstance(value, int)
    }
    assert set(_documented_codes()) == constants
