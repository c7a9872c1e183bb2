"""The plugin declares the plugin API version it was built for, as a literal.

Reading ``pointline_core.PLUGIN_API_VERSION`` at import would echo whatever core is installed,
so a core with a new major version would accept the plugin without checking anything.
"""

from __future__ import annotations

import importlib

import pointline_quant360.hooks as hooks
import pytest

import pointline_core
from pointline_core import hookspecs
from pointline_core.errors import PluginAPIVersionError
from pointline_core.plugins import Plugins


def test_vendor_info_declares_the_api_version_it_was_built_for():
    assert hooks.pointline_vendor_info().api_version == "2.4"
    Plugins().register(hooks)  # accepted by this core (same major version)


def test_a_core_with_another_major_version_refuses_the_plugin():
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(hookspecs, "PLUGIN_API_VERSION", "3.0")
            mp.setattr(pointline_core, "PLUGIN_API_VERSION", "3.0")
            importlib.reload(hooks)  # as if the plugin were imported by a 3.x core
            assert hooks.pointline_vendor_info().api_version == "2.4"
            with pytest.raises(PluginAPIVersionError, match="built for plugin API 2.4"):
                Plugins().register(hooks)
    finally:
        importlib.reload(hooks)
