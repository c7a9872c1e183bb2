"""The plugin template: ``pointline new-plugin``, the rendered example in docs/plugin-template/,
and the testing package's import hygiene."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pointline_core.cli import main
from pointline_core.testing.template import (
    PLUGIN_API_VERSION,
    TemplateError,
    core_requirement,
    render_plugin,
    write_plugin,
)
from tests.foundation.test_vendor_free_core import FORBIDDEN

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "plugin-template"
IGNORED = {"__pycache__", ".pytest_cache", "build", "dist"}


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not IGNORED.intersection(p.relative_to(root).parts)
        and not any(part.endswith(".egg-info") for part in p.parts)
    }


def test_docs_example_is_exactly_what_new_plugin_generates():
    assert _tree(EXAMPLE) == render_plugin("acme"), (
        "docs/plugin-template/ is out of date: regenerate it with "
        "`rm -r docs/plugin-template && pointline new-plugin acme docs/plugin-template`"
    )


def test_generated_plugin_has_the_promised_parts():
    files = render_plugin("kestrel")
    assert set(files) == {
        "pyproject.toml",
        "README.md",
        "pointline_kestrel/__init__.py",
        "pointline_kestrel/hooks.py",
        "tests/test_conformance.py",
        "tests/samples/symbols.csv",
        "tests/samples/bronze/kestrel/xdemo/2024-01-02/DEMO.csv",
    }
    project = tomllib.loads(files["pyproject.toml"])
    assert project["build-system"]["build-backend"] == "hatchling.build"
    assert project["project"]["name"] == "pointline-kestrel"
    assert project["project"]["entry-points"]["pointline.vendors"] == {
        "kestrel": "pointline_kestrel.hooks"
    }
    assert project["project"]["dependencies"] == [core_requirement()]
    assert f'API_VERSION = "{PLUGIN_API_VERSION}"' in files["pointline_kestrel/hooks.py"]
    assert "class TestKestrelConformance(PluginConformance):" in files["tests/test_conformance.py"]
    for rel, text in files.items():
        assert "__VENDOR__" not in text and "__PACKAGE__" not in text, rel
        if rel.endswith(".py"):
            compile(text, rel, "exec")
            assert not FORBIDDEN.search(text), rel


def test_core_requirement_pins_the_minor_series():
    assert core_requirement("0.1.0") == "pointline-core>=0.1,<0.2"
    assert core_requirement("1.4.2") == "pointline-core>=1.4,<2"


def test_new_plugin_command_writes_the_skeleton(tmp_path, capsys):
    assert main(["new-plugin", "kestrel", str(tmp_path / "p")]) == 0
    out = capsys.readouterr().out
    assert "created vendor plugin 'kestrel'" in out and "pip install -e" in out
    assert _tree(tmp_path / "p") == render_plugin("kestrel")


@pytest.mark.parametrize("name", ["Acme", "a", "acme-bars", "1acme", "acme/x", ""])
def test_new_plugin_refuses_bad_names(tmp_path, capsys, name):
    assert main(["new-plugin", name, str(tmp_path / "p")]) == 2
    assert "invalid vendor name" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_new_plugin_never_overwrites(tmp_path, capsys):
    target = tmp_path / "p"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    assert main(["new-plugin", "kestrel", str(target)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in target.iterdir()] == ["mine.txt"]
    with pytest.raises(TemplateError):
        write_plugin("kestrel", target / "mine.txt")


def test_testing_package_loads_neither_pytest_nor_the_engine_until_used():
    code = (
        "import sys\n"
        "import pointline_core\n"
        "assert 'pointline_core.testing' not in sys.modules\n"
        "from pointline_core.testing import template\n"
        "template.render_plugin('kestrel')\n"
        "assert 'pointline_core.ingest.runner' not in sys.modules\n"
        "from pointline_core.testing import PluginConformance, Sample, checks\n"
        "assert 'pytest' not in sys.modules, 'the testing package must not import pytest'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
