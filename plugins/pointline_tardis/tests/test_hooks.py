"""The plugin as the core sees it: entry point, vendor info, exchanges, table mapping."""

from __future__ import annotations

import importlib.util
import re

import pointline_tardis.hooks
import pytest
from pointline_tardis.exchanges import exchange_ids
from pointline_tardis.formats import DATA_TYPES
from tardis_testkit import FORMAT_DOC, require_shared

import pointline_core
import pointline_core.hookspecs
from pointline_core.errors import PluginAPIVersionError
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.schemas import EVENT_TABLES


def test_entry_point_loads_cleanly():
    plugins = load_plugins(only=["tardis"], strict=True)
    vendor = plugins.vendor("tardis")
    assert vendor.distribution == "pointline-tardis"
    assert set(vendor.info.data_types) == set(DATA_TYPES) and len(DATA_TYPES) == 9
    assert set(vendor.table_mapping.values()) <= {t.name for t in EVENT_TABLES}


def test_every_exchange_is_utc_crypto(plugins):
    vendor = plugins.vendor("tardis")
    assert {e.name for e in vendor.exchanges} == set(exchange_ids())
    assert {(e.timezone, e.asset_class) for e in vendor.exchanges} == {("UTC", "crypto")}
    assert plugins.exchanges.get("okex-swap").timezone == "UTC"


def test_every_exchange_id_in_the_format_doc_is_declared():
    doc = require_shared(FORMAT_DOC).read_text(encoding="utf-8")
    section = doc.split("## 4. Exchange ids", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    ids = {i for line in table for i in re.findall(r"`([a-z0-9-]+)`", line.split("|")[1])}
    ids.add("binance-options")  # mentioned in the description cell of binance-european-options
    assert len(ids) > 60
    assert ids <= set(exchange_ids()), sorted(ids - set(exchange_ids()))


def test_api_version_is_the_literal_the_plugin_was_built_for(monkeypatch):
    # Load a fresh copy of the hooks module while the core claims plugin API 3.0: a plugin
    # that echoes the core's PLUGIN_API_VERSION (at import or at call time) would report 3.0
    # and slip past the core's major-version check.
    monkeypatch.setattr(pointline_core, "PLUGIN_API_VERSION", "3.0")
    monkeypatch.setattr(pointline_core.hookspecs, "PLUGIN_API_VERSION", "3.0")
    spec = importlib.util.spec_from_file_location(
        "_tardis_hooks_copy", pointline_tardis.hooks.__file__
    )
    assert spec is not None and spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    assert copy.pointline_vendor_info().api_version == "2.4"
    with pytest.raises(PluginAPIVersionError, match=r"'tardis' was built for plugin API 2\.4"):
        Plugins().register(copy, name="tardis")
