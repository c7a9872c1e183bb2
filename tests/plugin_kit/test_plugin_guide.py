"""docs/plugins.md stays true: every Python example is either a verbatim excerpt of the
generated template (which the conformance suite and the wheel test prove) or runs here."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

from pointline_core import PLUGIN_API_VERSION
from pointline_core.testing import PluginConformance
from pointline_core.testing.template import render_plugin, write_plugin

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
BLOCK = re.compile(
    r"(?:<!-- (?:excerpt: (?P<file>\S+)|(?P<run>run)) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```",
    re.S,
)


def _blocks(lang: str) -> list[re.Match]:
    return [m for m in BLOCK.finditer(DOC.read_text(encoding="utf-8")) if m["lang"] == lang]


def test_every_python_example_is_checked():
    blocks = _blocks("python")
    assert len(blocks) >= 15
    unmarked = [m["code"][:60] for m in blocks if not (m["file"] or m["run"])]
    assert unmarked == [], "mark each python block <!-- excerpt: FILE --> or <!-- run -->"


def test_excerpts_are_verbatim_parts_of_the_template():
    files = render_plugin("acme")
    excerpts = [m for m in _blocks("python") if m["file"]]
    assert {m["file"] for m in excerpts} == {"pointline_acme/hooks.py", "tests/test_conformance.py"}
    for m in excerpts:
        assert textwrap.dedent(m["code"]) in files[m["file"]], m["code"][:200]


def test_toml_example_lines_are_in_the_template_pyproject():
    pyproject = render_plugin("acme")["pyproject.toml"]
    for m in _blocks("toml"):
        for line in m["code"].splitlines():
            line = line.split(" #", 1)[0].rstrip()
            if line and not line.startswith("#"):
                assert line in pyproject.splitlines(), line


def test_runnable_examples_run(tmp_path, monkeypatch):
    write_plugin("acme", tmp_path / "pointline-acme")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path / "pointline-acme"))
    code = "\n".join(m["code"] for m in _blocks("python") if m["run"])
    try:
        exec(compile(code, str(DOC), "exec"), {"__name__": "plugins_md_examples"})
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "pointline_acme"]:
            del sys.modules[name]
    assert (tmp_path / "lake" / "silver" / "acme_bars_1m").is_dir()


def test_guide_names_the_current_api_version_and_every_conformance_test():
    text = DOC.read_text(encoding="utf-8")
    assert f'currently `"{PLUGIN_API_VERSION}"`' in text
    tests = [n for n in dir(PluginConformance) if n.startswith("test_")]
    missing = [n for n in tests if f"`{n}`" not in text]
    assert missing == [], f"docs/plugins.md does not describe {missing}"
