"""Plugin manager: load vendor plugins one at a time, isolate broken ones, route hooks.

pluggy's ``load_setuptools_entrypoints`` stops at the first plugin that fails to import, so
one broken wheel would take every vendor down. Here each entry point is loaded and validated
inside its own try/except; a failure is recorded (name, distribution, version, error) and the
others go on. ``strict=True`` or ``POINTLINE_STRICT_PLUGINS=1`` turns any failure into
:class:`~pointline_core.errors.PluginLoadError`.

What must agree between plugins, checked at registration (plugins load in entry-point name
order; the first to declare a name sets it, a later plugin that disagrees fails to load and
the others keep working):

* **Vendor names** are unique.
* **Exchanges** (``ExchangeInfo``): two plugins may declare one exchange if ``timezone`` and
  ``asset_class`` are equal; ``description`` may differ (the first one is kept). A mismatch
  is an :class:`~pointline_core.errors.ExchangeConflictError` naming both plugins.
* **Tables** (``pointline_tables``) share one global namespace with the core tables. A core
  table name cannot be contributed (map the data type to it instead). Two plugins may
  contribute the same name only with identical specs (equal ``TableSpec``, descriptions
  included): both vendors' rows then land in one table, told apart by ``file_id``. A
  different spec under a taken name is a load failure naming both plugins and the first
  difference; name plugin tables after the vendor (``<vendor>_<table>``, as the template
  does) so independent plugins never collide.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import attrs
import pluggy

from pointline_core import hookspecs
from pointline_core.errors import (
    PluginAPIVersionError,
    PluginContractError,
    PluginLoadError,
    UnknownVendorError,
)
from pointline_core.exchanges import ExchangeRegistry
from pointline_core.models import ExchangeInfo, VendorInfo
from pointline_core.schemas.registry import TableRegistry, spec_difference
from pointline_core.schemas.spec import TableSpec

ENTRY_POINT_GROUP = "pointline.vendors"
ENV_ONLY = "POINTLINE_LOAD_PLUGINS"
ENV_STRICT = "POINTLINE_STRICT_PLUGINS"
#: Hooks the core calls on the owning plugin only.
ROUTED_HOOKS = (
    "pointline_discover",
    "pointline_parse",
    "pointline_parse_files",
    "pointline_canonicalize",
    "pointline_canonicalize_files",
    "pointline_validation_rules",
    "pointline_recognize_archive",
    "pointline_member_path",
    "pointline_read_symbols",
)


@attrs.frozen(slots=True)
class LoadFailure:
    """A plugin that could not be loaded, and why."""

    name: str
    distribution: str | None
    version: str | None
    error: str


@attrs.frozen(slots=True)
class Vendor:
    """A loaded vendor plugin."""

    info: VendorInfo
    table_mapping: dict[str, str]
    exchanges: tuple[ExchangeInfo, ...]
    tables: tuple[TableSpec, ...]
    distribution: str | None
    version: str | None
    plugin: Any = attrs.field(eq=False, repr=False)


def _major(version: str) -> str:
    return str(version).split(".", 1)[0]


class Plugins:
    """The loaded vendors, their tables and exchanges, and hook routing."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.vendors: dict[str, Vendor] = {}
        self.failures: list[LoadFailure] = []
        self.tables = TableRegistry()
        self.exchanges = ExchangeRegistry()
        self._callers: dict[tuple[str, str], Any] = {}

    # -- registration -------------------------------------------------------------------

    def register(
        self,
        plugin: object,
        name: str | None = None,
        distribution: str | None = None,
        version: str | None = None,
    ) -> Vendor:
        """Register a plugin object (a module or any object with hook implementations).

        Validates it completely; on any problem the plugin is unregistered again and the
        error raised, so a half-registered plugin never lingers. ``name``, when given (the
        entry-point name), must equal the vendor name the plugin reports.
        """
        if name is not None and name in self.vendors:
            self._raise_taken(name)
        reg_name = name or getattr(plugin, "__name__", None) or repr(plugin)
        self.pm.register(plugin, name=reg_name)
        try:
            vendor = self._validate(plugin, reg_name, name, distribution, version)
        except BaseException:
            self.pm.unregister(plugin)
            raise
        self.vendors[vendor.info.name] = vendor
        self._callers.clear()
        return vendor

    def _raise_taken(self, vendor: str) -> None:
        taken = self.vendors[vendor]
        raise PluginContractError(
            f"vendor name {vendor!r} is already taken by distribution "
            f"{taken.distribution or '(in-process plugin)'}; uninstall or rename one of them"
        )

    def _call_one(self, plugin: object, hook: str) -> Any:
        impl = getattr(plugin, hook, None)
        if impl is None:
            return None
        caller = self.pm.subset_hook_caller(
            hook, remove_plugins=[p for p in self.pm.get_plugins() if p is not plugin]
        )
        result = caller()
        # Non-firstresult hooks return a list with one answer per implementation.
        return result[0] if isinstance(result, list) and result else (result or None)

    def _validate(
        self,
        plugin: object,
        reg_name: str,
        ep_name: str | None,
        distribution: str | None,
        version: str | None,
    ) -> Vendor:
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginContractError(
                f"plugin {reg_name!r} implements a hook that does not exist: {exc}. "
                "Check the spelling against pointline_core.hookspecs"
            ) from None
        info = self._call_one(plugin, "pointline_vendor_info")
        if not isinstance(info, VendorInfo):
            raise PluginContractError(
                f"plugin {reg_name!r}: pointline_vendor_info must return VendorInfo, "
                f"got {type(info).__name__}"
            )
        if _major(info.api_version) != _major(hookspecs.PLUGIN_API_VERSION):
            raise PluginAPIVersionError(
                f"plugin {info.name!r} was built for plugin API {info.api_version} but this "
                f"pointline-core provides {hookspecs.PLUGIN_API_VERSION}; install a plugin "
                "release built for this core (or a core matching the plugin)"
            )
        if ep_name is not None and info.name != ep_name:
            raise PluginContractError(
                f"entry point {ep_name!r} loads a plugin calling itself {info.name!r}; the "
                "entry-point name must equal VendorInfo.name"
            )
        if info.name in self.vendors:
            self._raise_taken(info.name)
        mapping = self._call_one(plugin, "pointline_table_mapping") or {}
        if not isinstance(mapping, dict):
            raise PluginContractError(f"plugin {info.name!r}: table mapping must be a dict")
        tables = tuple(self._call_one(plugin, "pointline_tables") or ())
        exchanges = tuple(self._call_one(plugin, "pointline_exchanges") or ())
        # Stage table and exchange additions so a failure leaves both registries untouched.
        staged_tables = TableRegistry()
        for spec in tables:
            staged_tables.add(spec, f"plugin {info.name!r}")
        missing = sorted(set(info.data_types) - set(mapping))
        if missing:
            raise PluginContractError(
                f"plugin {info.name!r}: data types {missing} have no table mapping"
            )
        known_tables = set(self.tables.names()) | {t.name for t in tables}
        for data_type, table in mapping.items():
            if table not in known_tables:
                raise PluginContractError(
                    f"plugin {info.name!r}: data type {data_type!r} maps to unknown table "
                    f"{table!r}; known tables: {', '.join(sorted(known_tables))}"
                )
        staged_ex = ExchangeRegistry()
        for name in self.exchanges.names():
            staged_ex.add(self.exchanges.get(name), self.exchanges.owner(name))
        for ex in exchanges:
            staged_ex.add(ex, info.name)
        shared = []
        for spec in tables:
            if spec.name not in self.tables:
                continue
            difference = spec_difference(self.tables.get(spec.name), spec)
            if difference is not None:
                raise PluginContractError(
                    f"plugin {info.name!r}: table {spec.name!r} is already contributed by "
                    f"{self.tables.owner(spec.name)} with a different spec (first difference: "
                    f"{difference}). Table names are global across plugins: name the table "
                    f"after the vendor (e.g. '{info.name}_{spec.name}') and map the data type "
                    "to it, or contribute exactly the same spec to share the table"
                )
            shared.append(spec.name)
        for spec in tables:
            if spec.name in shared:
                self.tables.share(spec, f"plugin {info.name!r}")
            else:
                self.tables.add(spec, f"plugin {info.name!r}")
        self.exchanges = staged_ex
        return Vendor(info, dict(mapping), exchanges, tables, distribution, version, plugin)

    def load_entry_points(
        self, eps: Iterable[EntryPoint] | None = None, only: Iterable[str] | None = None
    ) -> None:
        """Load every ``pointline.vendors`` entry point (or ``only`` those names)."""
        selected = list(eps if eps is not None else entry_points(group=ENTRY_POINT_GROUP))
        wanted = set(only) if only is not None else None
        for ep in sorted(selected, key=lambda e: e.name):
            if wanted is not None and ep.name not in wanted:
                continue
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else None
            dist_version = dist.version if dist is not None else None
            try:
                module = ep.load()
                self.register(module, ep.name, dist_name, dist_version)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                self.failures.append(
                    LoadFailure(ep.name, dist_name, dist_version, f"{type(exc).__name__}: {exc}")
                )

    # -- lookup and routing ---------------------------------------------------------------

    def vendor(self, name: str) -> Vendor:
        try:
            return self.vendors[name]
        except KeyError:
            raise UnknownVendorError(
                f"no plugin provides vendor {name!r}; installed: "
                f"{', '.join(sorted(self.vendors)) or 'none'} (see `pointline vendors`)"
            ) from None

    def names(self) -> list[str]:
        return sorted(self.vendors)

    def implements(self, vendor: str, hook: str) -> bool:
        return getattr(self.vendor(vendor).plugin, hook, None) is not None

    def call(self, vendor: str, hook: str, **kwargs: Any) -> Any:
        """Call a routed hook on the plugin that owns ``vendor`` only."""
        if hook not in ROUTED_HOOKS:
            raise ValueError(f"{hook} is not a routed hook; routed hooks: {ROUTED_HOOKS}")
        key = (vendor, hook)
        caller = self._callers.get(key)
        if caller is None:
            owner = self.vendor(vendor).plugin
            caller = self.pm.subset_hook_caller(
                hook, remove_plugins=[p for p in self.pm.get_plugins() if p is not owner]
            )
            self._callers[key] = caller
        return caller(**kwargs)

    def table_for(self, vendor: str, data_type: str) -> TableSpec:
        mapping = self.vendor(vendor).table_mapping
        if data_type not in mapping:
            raise PluginContractError(
                f"plugin {vendor!r} discovered data type {data_type!r} but maps only "
                f"{sorted(mapping)}"
            )
        return self.tables.get(mapping[data_type])


def _env_only() -> list[str] | None:
    raw = os.environ.get(ENV_ONLY)
    if raw is None:
        return None
    return [n.strip() for n in raw.split(",") if n.strip()]


def load_plugins(
    strict: bool | None = None,
    only: Iterable[str] | None = None,
    entry_points: Iterable[EntryPoint] | None = None,
) -> Plugins:
    """Load installed vendor plugins.

    ``only`` (or env ``POINTLINE_LOAD_PLUGINS``, comma-separated; empty loads none) limits
    which entry points load. ``strict`` (or env ``POINTLINE_STRICT_PLUGINS=1``) raises
    :class:`PluginLoadError` listing every failure instead of recording it.
    """
    if strict is None:
        strict = os.environ.get(ENV_STRICT, "") not in ("", "0", "false", "no")
    plugins = Plugins()
    plugins.load_entry_points(entry_points, only if only is not None else _env_only())
    if strict and plugins.failures:
        lines = "; ".join(
            f"{f.name} ({f.distribution or '?'} {f.version or '?'}): {f.error}"
            for f in plugins.failures
        )
        raise PluginLoadError(f"{len(plugins.failures)} plugin(s) failed to load: {lines}")
    return plugins
