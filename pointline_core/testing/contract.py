"""Load-time conformance checks: the plugin object against the contract, hook by hook.

These call the hooks of the plugin object directly through a private pluggy manager, so each
problem is reported on its own even when the core's plugin manager would refuse the whole
plugin at the first one, and they need no samples.
"""

from __future__ import annotations

import difflib
import inspect
import re
import unittest
import zoneinfo
from importlib.metadata import entry_points
from typing import Any

import pluggy

from pointline_core import hookspecs
from pointline_core.errors import PointlineError, TableSpecError
from pointline_core.models import CONVENTIONAL_ASSET_CLASSES, ExchangeInfo, VendorInfo
from pointline_core.plugins import ENTRY_POINT_GROUP, Plugins, load_plugins
from pointline_core.schemas.registry import TableRegistry
from pointline_core.schemas.spec import TableSpec
from pointline_core.testing.failures import fail

#: Hooks every plugin must implement (the hookspecs say "Required").
REQUIRED_HOOKS = (
    "pointline_vendor_info",
    "pointline_exchanges",
    "pointline_table_mapping",
    "pointline_discover",
    "pointline_parse",
    "pointline_canonicalize",
)
_VENDOR_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_API_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def _signature(hook: str) -> str:
    return f"{hook}{inspect.signature(getattr(hookspecs, hook))}"


def hookspec_names() -> list[str]:
    """Every hook of the contract (the functions of :mod:`pointline_core.hookspecs`)."""
    return sorted(
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("pointline_") and hasattr(fn, f"{hookspecs.PROJECT}_spec")
    )


def hook_manager(plugin: object, vendor: str) -> pluggy.PluginManager:
    """A private pluggy manager holding only ``plugin``, validated the way the core validates.

    Raises :class:`ConformanceFailure` when pluggy refuses an implementation (an argument the
    hookspec does not have) or a hook that does not exist.
    """
    __tracebackhide__ = True
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin, name=vendor)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        text = " ".join(str(exc).split())
        if "unknown hook" in text:
            raise fail(
                vendor,
                f"implements a hook that does not exist ({text})",
                "check the spelling against pointline_core.hookspecs (every hook starts with "
                "'pointline_'), or remove the function",
            ) from None
        raise fail(
            vendor,
            f"a hook implementation does not match its hookspec ({text})",
            "name the arguments exactly as the hookspec does (an implementation may take a "
            "subset of them); the hookspecs are: "
            + "; ".join(_signature(h) for h in hookspec_names()),
        ) from None
    return pm


def check_hook_implementations(plugin: object, vendor: str) -> None:
    """Hooks validate with pluggy, none is left undecorated, and the required ones exist.

    pluggy silently ignores a function without ``@hookimpl``, so a forgotten decorator would
    otherwise show up only as "hook not implemented" at ingest time.
    """
    __tracebackhide__ = True
    pm = hook_manager(plugin, vendor)
    undecorated = [
        name
        for name in hookspec_names()
        if callable(getattr(plugin, name, None)) and pm.parse_hookimpl_opts(plugin, name) is None
    ]
    if undecorated:
        raise fail(
            vendor,
            f"defines {undecorated} without @hookimpl, so pluggy ignores them",
            "decorate each hook implementation with `@hookimpl` "
            "(from pointline_core import hookimpl)",
        )
    missing = [h for h in REQUIRED_HOOKS if not getattr(pm.hook, h).get_hookimpls()]
    if missing:
        raise fail(
            vendor,
            f"does not implement the required hooks {missing}",
            "implement them: " + "; ".join(_signature(h) for h in missing),
        )


def _call(pm: pluggy.PluginManager, vendor: str, hook: str) -> Any:
    """Call an every-plugin hook of the single registered plugin; None if not implemented."""
    __tracebackhide__ = True
    caller = getattr(pm.hook, hook)
    if not caller.get_hookimpls():
        return None
    try:
        result = caller()
    except Exception as exc:  # noqa: BLE001 - the failure message carries it
        raise fail(
            vendor,
            f"{hook} raised {type(exc).__name__}: {exc}",
            f"{hook} is called at load time and must not raise; return data only",
        ) from exc
    return result[0] if isinstance(result, list) and result else result


def plugin_vendor_info(plugin: object, vendor: str) -> VendorInfo:
    """The plugin's ``VendorInfo``, or a failure if it cannot even provide one."""
    __tracebackhide__ = True
    pm = hook_manager(plugin, vendor)
    info = _call(pm, vendor, "pointline_vendor_info")
    if not isinstance(info, VendorInfo):
        raise fail(
            vendor,
            f"pointline_vendor_info returned {type(info).__name__}, not VendorInfo",
            "return pointline_core.models.VendorInfo(name, version, description, data_types, "
            "api_version)",
        )
    return info


def check_vendor_info(plugin: object, vendor: str) -> VendorInfo:
    """Every field of ``VendorInfo`` is filled in and usable; the API major version matches.

    ``pointline vendors`` shows these fields and the manifest keys files by the vendor name,
    so an empty or malformed field is a user-visible defect.
    """
    __tracebackhide__ = True
    info = plugin_vendor_info(plugin, vendor)
    if info.name != vendor:
        raise fail(
            vendor,
            f"VendorInfo.name is {info.name!r}, but the plugin is registered as {vendor!r}",
            "the vendor name, the entry-point name and the Bronze folder name must be the same "
            "string; change VendorInfo.name or the entry point",
        )
    if not _VENDOR_NAME.match(info.name):
        raise fail(
            vendor,
            f"vendor name {info.name!r} is not a usable folder/entry-point name",
            "use lowercase letters, digits, '_', '-' or '.', starting with a letter or digit",
        )
    for field in ("version", "description"):
        value = getattr(info, field)
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise fail(
                vendor,
                f"VendorInfo.{field} is {value!r}",
                f"give a non-empty one-line {field} (`pointline vendors` shows it)",
            )
    types = info.data_types
    if not isinstance(types, tuple) or not types:
        raise fail(
            vendor,
            f"VendorInfo.data_types is {types!r}",
            "give a non-empty tuple of data type names, e.g. ('trades',)",
        )
    bad = [t for t in types if not isinstance(t, str) or not t.strip()]
    dupes = sorted({t for t in types if types.count(t) > 1})
    if bad or dupes:
        raise fail(
            vendor,
            f"VendorInfo.data_types has empty or non-text entries {bad} / duplicates {dupes}",
            "list each data type once, as a non-empty string",
        )
    check_api_version(info.api_version, vendor)
    return info


def check_api_version(api_version: object, vendor: str) -> None:
    """``api_version`` is ``MAJOR.MINOR`` with this core's major and no newer minor.

    The plugin manager refuses another major; a newer minor means the plugin was built for
    hooks this core does not have, i.e. its dependency on pointline-core is too loose.
    """
    __tracebackhide__ = True
    core = hookspecs.PLUGIN_API_VERSION
    match = _API_VERSION.match(str(api_version)) if isinstance(api_version, str) else None
    if match is None:
        raise fail(
            vendor,
            f"VendorInfo.api_version is {api_version!r}, not 'MAJOR.MINOR'",
            f"set it to the PLUGIN_API_VERSION you built against (this core provides {core!r})",
        )
    core_major, core_minor = (int(x) for x in core.split("."))
    major, minor = int(match.group(1)), int(match.group(2))
    if major != core_major:
        raise fail(
            vendor,
            f"was built for plugin API {api_version} but this pointline-core provides {core}; "
            "the plugin manager refuses it at load",
            f"port the plugin to API {core_major}.x (see 'Versioning' in docs/plugins.md) and "
            "set api_version accordingly, or install a pointline-core matching the plugin",
        )
    if minor > core_minor:
        raise fail(
            vendor,
            f"was built for plugin API {api_version}, newer than this core's {core}",
            "require a pointline-core release that provides that API version in the plugin's "
            f"dependencies, or set api_version to {core!r} if you only use its hooks",
        )


def plugin_tables(plugin: object, vendor: str) -> list[TableSpec]:
    """The tables the plugin contributes, each validated as the core validates them."""
    __tracebackhide__ = True
    pm = hook_manager(plugin, vendor)
    tables = _call(pm, vendor, "pointline_tables")
    if tables is None:
        return []
    if not isinstance(tables, (list, tuple)):
        raise fail(
            vendor,
            f"pointline_tables returned {type(tables).__name__}",
            "return a list of pointline_core.schemas.spec.TableSpec",
        )
    registry = TableRegistry()
    for spec in tables:
        try:
            registry.add(spec, f"plugin {vendor!r}")
        except TableSpecError as exc:
            raise fail(
                vendor,
                f"contributes an invalid table: {exc}",
                "fix the TableSpec returned by pointline_tables: a new lower_snake_case name, "
                "partition/tie-break keys that exist, and for event tables the common event "
                "columns (exchange, trading_date, symbol, symbol_id, ts_event_us, ts_local_us, "
                "file_id, file_seq) partitioned by (exchange, trading_date)",
            ) from None
    return list(tables)


def check_tables(plugin: object, vendor: str) -> None:
    """Contributed tables (if any) are valid TableSpecs that do not clash with core tables."""
    __tracebackhide__ = True
    plugin_tables(plugin, vendor)


def check_table_mapping(plugin: object, vendor: str) -> dict[str, str]:
    """Every declared data type maps to a core table or a table the plugin contributes.

    A data type mapped to an unknown table would make the plugin manager refuse the whole
    plugin; here the message names the data type, the table and the closest known names.
    """
    __tracebackhide__ = True
    info = plugin_vendor_info(plugin, vendor)
    pm = hook_manager(plugin, vendor)
    mapping = _call(pm, vendor, "pointline_table_mapping")
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise fail(
            vendor,
            f"pointline_table_mapping returned {mapping!r}",
            "return a dict {data_type: table_name} of strings",
        )
    missing = [t for t in info.data_types if t not in mapping]
    if missing:
        raise fail(
            vendor,
            f"data types {missing} (declared in VendorInfo.data_types) have no table mapping",
            "add each to the dict pointline_table_mapping returns: {data_type: table_name}",
        )
    undeclared = sorted(set(mapping) - set(info.data_types))
    if undeclared:
        raise fail(
            vendor,
            f"pointline_table_mapping maps data types {undeclared} that VendorInfo.data_types "
            "does not declare",
            "declare them in VendorInfo.data_types, or remove them from the mapping",
        )
    registry = TableRegistry()
    for spec in plugin_tables(plugin, vendor):
        registry.add(spec, f"plugin {vendor!r}")
    known = sorted(spec.name for spec in registry.specs() if spec.kind == "event")
    for data_type, table in sorted(mapping.items()):
        if table in registry and table not in known:
            raise fail(
                vendor,
                f"data type {data_type!r} maps to {registry.get(table).kind} table {table!r}; "
                f"vendor rows can only land in event tables: {', '.join(known)}",
                "map it to an event table, or contribute one from pointline_tables",
            )
        if table not in known:
            close = difflib.get_close_matches(table, known, n=2)
            hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
            raise fail(
                vendor,
                f"data type {data_type!r} maps to unknown table {table!r}{hint}; known event "
                f"tables: {', '.join(known)}",
                "map it to one of the known tables (`pointline tables` lists the core tables), "
                "or contribute the table from pointline_tables",
            )
    return dict(mapping)


def _timezone_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return "is empty"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name, sorted(zoneinfo.available_timezones()), n=2)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return f"is not an IANA timezone name{hint}"
    return None


def check_exchanges(plugin: object, vendor: str) -> list[ExchangeInfo]:
    """Exchanges are declared, unique, and each has a valid IANA timezone and asset class.

    The timezone decides every row's ``trading_date``; the plugin manager refuses a plugin
    with an unknown one, so this check names the exchange and suggests the right spelling.
    """
    __tracebackhide__ = True
    pm = hook_manager(plugin, vendor)
    exchanges = _call(pm, vendor, "pointline_exchanges")
    if not isinstance(exchanges, (list, tuple)) or not exchanges:
        raise fail(
            vendor,
            f"pointline_exchanges returned {exchanges!r}",
            "return a non-empty list of ExchangeInfo(name, timezone, asset_class), one per "
            "exchange your data comes from",
        )
    names: list[str] = []
    for ex in exchanges:
        if not isinstance(ex, ExchangeInfo):
            raise fail(
                vendor,
                f"pointline_exchanges returned {ex!r}",
                "return pointline_core.models.ExchangeInfo records",
            )
        if not ex.name or not isinstance(ex.name, str) or ex.name != ex.name.strip():
            raise fail(vendor, f"exchange name {ex.name!r} is empty or padded", "name it")
        problem = _timezone_problem(ex.timezone)
        if problem:
            raise fail(
                vendor,
                f"exchange {ex.name!r} has timezone {ex.timezone!r}, which {problem}",
                "use the exchange's IANA timezone name in ExchangeInfo.timezone, e.g. 'UTC', "
                "'America/New_York', 'Europe/London' (see zoneinfo.available_timezones())",
            )
        if not isinstance(ex.asset_class, str) or not ex.asset_class.strip():
            raise fail(
                vendor,
                f"exchange {ex.name!r} has no asset_class",
                "set ExchangeInfo.asset_class to one of the conventional values "
                f"{', '.join(CONVENTIONAL_ASSET_CLASSES)}",
            )
        names.append(ex.name)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise fail(vendor, f"declares exchanges {dupes} more than once", "declare each once")
    return list(exchanges)


def check_entry_point(vendor: str, plugin: object | None = None) -> None:
    """The installed distribution has a ``pointline.vendors`` entry point that loads.

    When the plugin is registered in-process and no distribution is installed, the check is
    skipped (``unittest.SkipTest``, which pytest reports as a skip) with how to enable it.
    """
    __tracebackhide__ = True
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == vendor]
    if not found:
        install = (
            "add to your pyproject.toml\n"
            f'    [project.entry-points."{ENTRY_POINT_GROUP}"]\n'
            f'    {vendor} = "<your_package>.hooks"\n'
            "then install the plugin (pip install -e .). An editable install only refreshes "
            "entry points when it is reinstalled: run pip install -e . again after editing them"
        )
        if plugin is not None:
            raise unittest.SkipTest(
                f"plugin {vendor!r} is registered in-process and not installed, so its entry "
                f"point cannot be checked; to check it, {install}"
            )
        raise fail(
            vendor, f"no entry point named {vendor!r} in group {ENTRY_POINT_GROUP!r}", install
        )
    if len(found) > 1:
        raise fail(
            vendor,
            f"{len(found)} installed entry points are named {vendor!r}: "
            + ", ".join(f"{ep.value} ({_dist(ep)})" for ep in found),
            "uninstall all but one of the distributions providing it",
        )
    ep = found[0]
    try:
        loaded = ep.load()
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"entry point {vendor} = {ep.value!r} fails to import: {type(exc).__name__}: {exc}",
            "make the module importable from the installed distribution (is the package listed "
            "in [tool.hatch.build.targets.wheel] packages? after renaming modules, reinstall)",
        ) from None
    if plugin is not None and loaded is not plugin:
        raise fail(
            vendor,
            f"entry point {vendor} = {ep.value!r} loads {loaded!r}, but the tests register "
            f"{plugin!r}",
            "point the entry point at the hooks module your tests use and reinstall (pip "
            "install -e . again: editable installs keep stale entry points until reinstalled)",
        )
    registry = load_plugins(only=[vendor], strict=False)
    if vendor not in registry.vendors:
        errors = "; ".join(f.error for f in registry.failures) or "no error recorded"
        raise fail(
            vendor,
            f"the installed plugin does not load: {errors}",
            "fix the problem above; the other conformance checks name the exact hook",
        )
    check_api_version(registry.vendor(vendor).info.api_version, vendor)


def _dist(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return f"{dist.metadata['Name']} {dist.version}" if dist is not None else "unknown distribution"


def registered(plugin: object, vendor: str) -> Plugins:
    """A fresh plugin registry holding only ``plugin`` under ``vendor`` (as the core loads it).

    Runtime checks (discover, parse, ingest) go through this registry so hooks are routed
    exactly as in production.
    """
    __tracebackhide__ = True
    registry = Plugins()
    try:
        registry.register(plugin, name=vendor)
    except PointlineError as exc:
        raise fail(
            vendor,
            f"the plugin manager refuses the plugin, so this check cannot run: {exc}",
            "fix the load-time checks first (hooks, vendor info, tables, data types, exchanges)",
        ) from None
    return registry
