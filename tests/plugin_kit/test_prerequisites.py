"""One real mistake is reported once, by the check that names it: every check built on it
fails with "prerequisite <check> failed ... fix <check> first" instead of running and giving
unrelated advice (issue 15). Each broken plugin is the template plugin with one defect."""

from __future__ import annotations

import inspect
from pathlib import Path

import polars as pl
import pytest

from pointline_core.models import ExchangeInfo
from pointline_core.testing.suite import CHECK_ORDER, PREREQUISITES, prerequisites_of

HOOKS = "test_hook_implementations_match_the_hookspecs"
CANONICALIZE = "test_canonicalize_returns_exactly_the_table_columns_and_dtypes"
INGEST = "test_ingest_lands_the_expected_rows"
ENTRY_POINT = "test_entry_point_and_api_version"


def run_all(suite, tmp_path: Path, order: list[str] | None = None) -> dict[str, str | None]:
    """Every check, as pytest runs them: name -> None (passed) or the failure message."""
    results: dict[str, str | None] = {}
    for name in order or list(CHECK_ORDER):
        if name == ENTRY_POINT:
            continue  # not installed here: see test_template_wheel.py
        method = getattr(suite, name)
        args = [tmp_path / name] if "tmp_path" in inspect.signature(method).parameters else []
        try:
            method(*args)
        except AssertionError as exc:
            results[name] = str(exc)
        else:
            results[name] = None
    return results


def assert_one_root(results: dict[str, str | None], root: str, *fragments: str) -> None:
    """``root`` fails with its own message; every other failure names ``root`` as the failed
    prerequisite and carries no advice of its own."""
    message = results[root]
    assert message is not None and "prerequisite" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    for name, other in results.items():
        if other is None or name == root:
            continue
        assert root in prerequisites_of(name), name
        assert other.startswith(f"plugin 'barsco': prerequisite {root} failed, so {name}"), other
        assert other.endswith(f"How to fix: fix {root} first; this check runs once it passes")
        assert "state" not in other  # no knock-on advice ("keep no state between files")
    dependents = [n for n in results if root in prerequisites_of(n)]
    assert dependents and all(results[n] is not None for n in dependents)


def test_the_prerequisite_graph_follows_the_check_order():
    for check, needs in PREREQUISITES.items():
        assert check in CHECK_ORDER
        for need in needs:
            assert CHECK_ORDER.index(need) < CHECK_ORDER.index(check), (check, need)
    assert prerequisites_of(INGEST)[0] == HOOKS
    assert prerequisites_of(HOOKS) == []


def test_undeclared_exchange_is_reported_once(suite_for, variant, tmp_path):
    def exchanges():
        return [ExchangeInfo("other", "UTC", "equity")]

    results = run_all(suite_for(variant(pointline_exchanges=exchanges)), tmp_path)
    assert_one_root(results, CANONICALIZE, "exchanges ['xdemo']", "does not declare")
    assert results[INGEST] is not None and "unknown_exchange" not in results[INGEST]


def test_wrong_dtype_is_reported_once(suite_for, variant, hooks, tmp_path):
    def canonicalize(file, table, frame):
        out = hooks.pointline_canonicalize(file, table, frame)
        return out.with_columns(pl.col("volume").cast(pl.Float64))

    results = run_all(suite_for(variant(pointline_canonicalize=canonicalize)), tmp_path)
    assert_one_root(results, CANONICALIZE, "wrong dtype ['volume: Float64 (spec Decimal(38,18))']")
    for name in ("test_rerun_writes_nothing", "test_ingest_is_deterministic"):
        assert results[name] is not None and f"prerequisite {CANONICALIZE}" in results[name]


def test_missing_hookimpl_is_reported_once(suite_for, variant, hooks, tmp_path):
    def parse(file, batch_rows):  # the same parse, but without @hookimpl
        return hooks.pointline_parse(file=file, batch_rows=batch_rows)

    plugin = variant()
    plugin.pointline_parse = parse
    results = run_all(suite_for(plugin), tmp_path)
    assert_one_root(results, HOOKS, "defines ['pointline_parse'] without @hookimpl")
    # the load-time checks that do not need parse still run and pass
    assert results["test_vendor_info_is_complete"] is None
    assert results["test_every_exchange_has_an_iana_timezone"] is None


def test_order_does_not_matter_and_each_check_runs_once(suite_for, variant, hooks, tmp_path):
    calls = {"n": 0}

    def canonicalize(file, table, frame):
        calls["n"] += 1
        out = hooks.pointline_canonicalize(file, table, frame)
        return out.with_columns(pl.col("volume").cast(pl.Float64))

    suite = suite_for(variant(pointline_canonicalize=canonicalize))
    backwards = list(reversed(CHECK_ORDER))
    results = run_all(suite, tmp_path, backwards)
    assert_one_root(results, CANONICALIZE, "wrong dtype")
    first = calls["n"]
    # run again: outcomes are remembered for the class, the check is not repeated
    again = run_all(suite, tmp_path / "again", [CANONICALIZE, INGEST])
    assert again[CANONICALIZE] == results[CANONICALIZE] and calls["n"] == first


def test_the_good_plugin_passes_in_any_order(suite_for, hooks, tmp_path):
    results = run_all(suite_for(hooks), tmp_path, list(reversed(CHECK_ORDER)))
    assert all(message is None for message in results.values()), results


def test_make_large_copy_override_gets_an_existing_parent_folder(suite_for, hooks, tmp_path):
    seen: list[bool] = []

    def make_large_copy(self, sample, source: Path, dest: Path, min_bytes: int) -> int:
        seen.append(dest.parent.is_dir())
        with dest.open("wb") as out:  # no mkdir: the suite made the folder
            lines = source.read_bytes().splitlines(keepends=True)
            out.write(lines[0])
            repeats = max(2, min_bytes // len(b"".join(lines[1:])) + 1)
            for _ in range(repeats):
                out.writelines(lines[1:])
        return (len(lines) - 1) * repeats

    suite = suite_for(hooks, make_large_copy=make_large_copy, probe_bytes=1 << 20)
    suite.test_parse_does_not_materialise_the_whole_file()
    assert seen == [True]


@pytest.mark.parametrize("hook", ["make_large_copy", "poison_tail", "corrupt"])
def test_overridable_hooks_are_documented(hook):
    from pointline_core.testing import PluginConformance

    doc = inspect.getdoc(PluginConformance) or ""
    assert f"``{hook}(self, " in doc, f"{hook} has no documented signature in the class docstring"
    guide = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
    assert f"`{hook}(self, " in guide
