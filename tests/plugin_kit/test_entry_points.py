"""The entry-point check, with a distribution "installed" as a bare ``.dist-info`` folder on
``sys.path`` (what pip writes), so no wheel has to be built: a plugin tested only through its
entry point passes, and a stale or wrong entry point fails saying how to fix it."""

from __future__ import annotations

import sys

import attrs
import pytest

from pointline_core.testing import checks


@pytest.fixture
def install(tmp_path, monkeypatch):
    """``install(name, value)``: make ``importlib.metadata`` see an entry point."""
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))

    def add(name: str, value: str, dist: str = "pointline-barsco") -> None:
        info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
        (info / "entry_points.txt").write_text(f"[pointline.vendors]\n{name} = {value}\n")

    return add


def test_plugin_tested_through_its_entry_point_only(install, suite_for, tmp_path):
    install("barsco", "pointline_barsco.hooks")
    suite = suite_for(None)  # plugin = None: everything comes from the entry point
    suite.test_entry_point_and_api_version()
    suite.test_hook_implementations_match_the_hookspecs()
    suite.test_every_data_type_maps_to_an_existing_table()
    suite.test_ingest_lands_the_expected_rows()
    suite.test_corrupted_sample_fails_naming_the_plugin(tmp_path)


def test_in_process_plugin_is_also_checked_against_its_entry_point(install, suite_for, hooks):
    install("barsco", "pointline_barsco.hooks")
    suite_for(hooks).test_entry_point_and_api_version()


def test_stale_entry_point_fails_with_the_reinstall_hint(install, suite_for, hooks):
    install("barsco", "pointline_barsco")  # the package, not its hooks module
    with pytest.raises(AssertionError) as info:
        suite_for(hooks).test_entry_point_and_api_version()
    message = str(info.value)
    assert "entry point barsco = 'pointline_barsco' loads <module 'pointline_barsco'" in message
    assert "pip install -e . again" in message


def test_entry_point_that_does_not_import_fails(install, suite_for):
    install("barsco", "pointline_barsco.no_such_module")
    with pytest.raises(AssertionError, match="fails to import: ModuleNotFoundError"):
        suite_for(None).test_hook_implementations_match_the_hookspecs()


def test_two_distributions_claiming_one_vendor_fail(install):
    install("barsco", "pointline_barsco.hooks")
    install("barsco", "pointline_barsco.hooks", dist="pointline-barsco-fork")
    with pytest.raises(AssertionError, match="2 installed entry points are named 'barsco'"):
        checks.check_entry_point("barsco")


def test_missing_entry_point_fails_or_skips(suite_for, hooks):
    with pytest.raises(AssertionError, match='barsco = "<your_package>.hooks"'):
        checks.check_entry_point("barsco")
    with pytest.raises(pytest.skip.Exception, match="registered in-process and not installed"):
        suite_for(hooks).test_entry_point_and_api_version()


def test_entry_point_built_for_another_api_major_fails(install, variant, hooks, monkeypatch):
    info = attrs.evolve(hooks.pointline_vendor_info(), api_version="3.0")
    monkeypatch.setitem(sys.modules, "barsco_v2", variant(pointline_vendor_info=lambda: info))
    install("barsco", "barsco_v2")
    with pytest.raises(AssertionError) as failure:
        checks.check_entry_point("barsco")
    message = str(failure.value)
    assert "the installed plugin does not load: PluginAPIVersionError" in message
    assert "built for plugin API 3.0" in message
