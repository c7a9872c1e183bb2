"""Loading plugins one at a time: broken ones are reported by name, the rest still load."""

from __future__ import annotations

import sys

import pytest

from pointline_core import PLUGIN_API_VERSION
from pointline_core.errors import PluginLoadError
from pointline_core.plugins import Plugins, load_plugins
from tests.foundation.fake_plugins import entry_points_in, make_plugin


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("POINTLINE_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("POINTLINE_STRICT_PLUGINS", raising=False)
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("plg_")]:
        del sys.modules[name]


def _broken_set(root):
    make_plugin(root, "good-one", "goodone", "plg_good_one")
    make_plugin(root, "good-two", "goodtwo", "plg_good_two", exchange="fakey")
    make_plugin(
        root, "crashes", "crashes", "plg_crashes", body="raise RuntimeError('boom at import')\n"
    )
    make_plugin(
        root,
        "typo",
        "typo",
        "plg_typo",
        extra="""
        @hookimpl
        def pointline_discovr(vendor_root):
            return []
        """,
    )
    # Same vendor name as an already loaded plugin, from another distribution.
    make_plugin(root, "impostor", "goodone", "plg_impostor")


def test_broken_plugins_are_reported_and_good_ones_load(plugin_dir):
    _broken_set(plugin_dir)
    plugins = load_plugins(entry_points=entry_points_in(plugin_dir))
    assert plugins.names() == ["goodone", "goodtwo"]
    failures = {(f.distribution, f.name): f for f in plugins.failures}
    assert set(failures) == {("crashes", "crashes"), ("typo", "typo"), ("impostor", "goodone")}
    assert "boom at import" in failures["crashes", "crashes"].error
    assert "pointline_discovr" in failures["typo", "typo"].error
    assert "already taken" in failures["impostor", "goodone"].error
    assert all(f.version == "1.0" for f in plugins.failures)
    # A failed plugin leaves nothing behind: its hooks are not registered.
    assert len(plugins.pm.get_plugins()) == 2


def test_strict_mode_raises_naming_every_failure(plugin_dir, monkeypatch):
    _broken_set(plugin_dir)
    with pytest.raises(PluginLoadError) as exc:
        load_plugins(strict=True, entry_points=entry_points_in(plugin_dir))
    for name in ("crashes", "typo", "impostor"):
        assert name in str(exc.value)
    monkeypatch.setenv("POINTLINE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError):
        load_plugins(entry_points=entry_points_in(plugin_dir))


def test_incompatible_api_version_is_refused_with_both_versions(plugin_dir):
    # 1.x: prices and quantities were Int64 fixed point; 2.0 made them exact decimals
    make_plugin(plugin_dir, "old-plugin", "oldie", "plg_oldie", api="1.0")
    plugins = load_plugins(entry_points=entry_points_in(plugin_dir))
    assert plugins.names() == []
    (failure,) = plugins.failures
    assert "oldie" in failure.error and "1.0" in failure.error
    assert PLUGIN_API_VERSION in failure.error


def test_env_limits_which_plugins_load(plugin_dir, monkeypatch):
    make_plugin(plugin_dir, "good-one", "goodone", "plg_good_one")
    make_plugin(plugin_dir, "good-two", "goodtwo", "plg_good_two", exchange="fakey")
    eps = entry_points_in(plugin_dir)
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "goodtwo")
    assert load_plugins(entry_points=eps).names() == ["goodtwo"]
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "")
    assert load_plugins(entry_points=eps).names() == []


def test_exchange_timezone_conflict_names_both_plugins(plugin_dir):
    make_plugin(plugin_dir, "good-one", "goodone", "plg_good_one", exchange="shared")
    make_plugin(
        plugin_dir, "tz-other", "tzother", "plg_tz_other", exchange="shared", tz="Asia/Tokyo"
    )
    plugins = load_plugins(entry_points=entry_points_in(plugin_dir))
    assert plugins.names() == ["goodone"]
    (failure,) = plugins.failures
    assert "goodone" in failure.error and "tzother" in failure.error
    assert "Asia/Tokyo" in failure.error
    assert plugins.exchanges.get("shared").timezone == "UTC"


def test_invalid_timezone_is_rejected(plugin_dir):
    make_plugin(plugin_dir, "bad-tz", "badtz", "plg_bad_tz", tz="Mars/Olympus")
    plugins = load_plugins(entry_points=entry_points_in(plugin_dir))
    assert plugins.names() == []
    assert "Mars/Olympus" in plugins.failures[0].error


class _InProcess:
    """A plugin object registered in-process, as tests and notebooks do."""

    def __init__(self, calls):
        self.calls = calls

    from pointline_core import hookimpl

    @hookimpl
    def pointline_vendor_info(self):
        from pointline_core.models import VendorInfo

        return VendorInfo("inproc", "0", "in-process", ("ticks",), PLUGIN_API_VERSION)

    @hookimpl
    def pointline_table_mapping(self):
        return {"ticks": "trades"}

    @hookimpl
    def pointline_discover(self, vendor_root):
        self.calls.append(vendor_root)
        return ["mine"]


def test_in_process_registration_and_routing():
    plugins = Plugins()
    a_calls, b_calls = [], []
    plugins.register(_InProcess(a_calls))
    other = _InProcess(b_calls)
    other.pointline_vendor_info = lambda: __import__("pointline_core.models").models.VendorInfo(
        "other", "0", "x", ("ticks",), "1.0"
    )
    # Routing sends a vendor-scoped hook to its owner only.
    assert plugins.call("inproc", "pointline_discover", vendor_root="R", bronze_root="B") == [
        "mine"
    ]
    assert a_calls == ["R"] and b_calls == []
    assert plugins.table_for("inproc", "ticks").name == "trades"
