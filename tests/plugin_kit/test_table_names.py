"""Contributed table names are global: the rule the plugin manager enforces (issue 15).

Identical specs may be shared by several plugins; a different spec under a taken name fails
the later plugin's load naming both plugins and the first difference; a core table name
cannot be contributed. The template names its table after the vendor, so two plugins made
from it load side by side."""

from __future__ import annotations

import importlib
import sys
import types

import attrs
import pytest

from pointline_core.errors import PluginContractError, TableSpecError
from pointline_core.plugins import Plugins
from pointline_core.schemas.registry import spec_difference
from pointline_core.schemas.spec import ColumnSpec
from pointline_core.testing.template import table_name, write_plugin


def renamed(hooks: types.ModuleType, vendor: str, **replacements) -> types.ModuleType:
    """A copy of the template plugin under another vendor name (same table unless replaced)."""
    module = types.ModuleType(f"pointline_{vendor}_copy")
    module.__dict__.update({k: v for k, v in vars(hooks).items() if not k.startswith("__")})
    info = attrs.evolve(hooks.pointline_vendor_info(), name=vendor)
    impl = hooks.hookimpl
    module.pointline_vendor_info = impl(lambda: info)
    for name, value in replacements.items():
        setattr(module, name, impl(value))
    return module


def test_identical_specs_are_shared(hooks):
    plugins = Plugins()
    plugins.register(hooks, name="barsco")
    plugins.register(renamed(hooks, "zeta"), name="zeta")
    table = hooks.BARS_1M.name
    assert plugins.tables.owner(table) == "plugin 'barsco', plugin 'zeta'"
    assert plugins.table_for("zeta", "bars_1m") is plugins.table_for("barsco", "bars_1m")


def test_a_different_spec_under_a_taken_name_names_both_plugins_and_the_difference(hooks):
    spec = hooks.BARS_1M
    columns = tuple(
        attrs.evolve(c, dtype="Float64", scale=None) if c.name == "volume" else c
        for c in spec.columns
    )
    other = attrs.evolve(spec, columns=columns)
    plugins = Plugins()
    plugins.register(hooks, name="barsco")
    zeta = renamed(hooks, "zeta", pointline_tables=lambda: [other])
    with pytest.raises(PluginContractError) as info:
        plugins.register(zeta, name="zeta")
    message = str(info.value)
    assert message.startswith(
        f"plugin 'zeta': table '{spec.name}' is already contributed by plugin 'barsco' "
        "with a different spec (first difference: column 'volume': dtype 'Decimal(38,18)' vs "
        "'Float64')"
    )
    assert f"name the table after the vendor (e.g. 'zeta_{spec.name}')" in message
    assert "zeta" not in plugins.vendors and plugins.tables.owner(spec.name) == "plugin 'barsco'"
    # the refused plugin left nothing behind: barsco still works alone
    assert plugins.table_for("barsco", "bars_1m") == spec


def test_spec_difference_names_the_first_difference(hooks):
    spec = hooks.BARS_1M
    assert spec_difference(spec, spec) is None
    extra = attrs.evolve(
        spec, columns=(*spec.columns, ColumnSpec("vwap", "Decimal(38,18)", scale=18))
    )
    n = len(spec.columns)
    assert spec_difference(spec, extra) == f"{n} vs {n + 1} columns (first extra: 'vwap')"
    described = attrs.evolve(spec, description="other")
    assert spec_difference(spec, described).startswith("description ")
    dimension = attrs.evolve(spec, kind="dimension")
    assert spec_difference(spec, dimension) == "kind 'event' vs 'dimension'"


def test_a_core_table_name_cannot_be_contributed(hooks):
    trades = attrs.evolve(hooks.BARS_1M, name="trades")
    plugin = renamed(hooks, "zeta", pointline_tables=lambda: [trades])
    with pytest.raises(TableSpecError, match="already defined by pointline_core; map your data"):
        Plugins().register(plugin, name="zeta")


def test_two_plugins_from_the_template_load_together(tmp_path):
    modules = []
    for vendor in ("acme", "kestrel"):
        root = tmp_path / vendor
        write_plugin(vendor, root)
        sys.path.insert(0, str(root))
        try:
            modules.append(importlib.import_module(f"pointline_{vendor}.hooks"))
        finally:
            sys.path.remove(str(root))
    try:
        plugins = Plugins()
        for vendor, module in zip(("acme", "kestrel"), modules, strict=True):
            plugins.register(module, name=vendor)
        assert plugins.table_for("acme", "bars_1m").name == table_name("acme") == "acme_bars_1m"
        assert plugins.table_for("kestrel", "bars_1m").name == "kestrel_bars_1m"
    finally:
        packages = ("pointline_acme", "pointline_kestrel")
        for name in [m for m in sys.modules if m.split(".")[0] in packages]:
            del sys.modules[name]
