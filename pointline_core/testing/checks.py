"""The conformance checks, one function per rule of the plugin contract.

Each check takes the plugin (the object holding its hook implementations, or a loaded
:class:`~pointline_core.plugins.Plugins` registry) and raises :class:`ConformanceFailure`, an
``AssertionError``, whose message names the plugin, says what is wrong and ends with
``How to fix:``. They are plain functions so they can be called from any test runner or a
notebook; :class:`~pointline_core.testing.PluginConformance` wraps each in a pytest test.

Load-time checks (hooks, vendor info, tables, exchanges) call the hooks of the plugin object
directly through a private pluggy manager, so each problem is reported on its own even when
the plugin manager would refuse the whole plugin at the first one.

Functions set ``__tracebackhide__`` (a plain local pytest looks for; nothing is imported) so
a pytest failure shows the test and the message, not the suite's internals.
"""

from __future__ import annotations

import difflib
import hashlib
import inspect
import re
import tempfile
import time
import unittest
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal

import attrs
import pluggy
import polars as pl

from pointline_core import hookspecs
from pointline_core.errors import PointlineError, TableSpecError
from pointline_core.ingest.report import IngestReport
from pointline_core.ingest.runner import IngestOptions, ingest
from pointline_core.ingest.transform import FileFailed, check_canonical
from pointline_core.ingest.validate import REASON
from pointline_core.models import BronzeFile, ExchangeInfo, Unrecognised, VendorInfo
from pointline_core.plugins import ENTRY_POINT_GROUP, Plugins, load_plugins
from pointline_core.schemas.registry import TableRegistry
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import LOCK_DIR, Lake
from pointline_core.storage.quarantine import quarantine_spec
from pointline_core.testing.samples import STRAY_FILE, Sample

#: Hooks every plugin must implement (the hookspecs say "Required").
REQUIRED_HOOKS = (
    "pointline_vendor_info",
    "pointline_exchanges",
    "pointline_table_mapping",
    "pointline_discover",
    "pointline_parse",
    "pointline_canonicalize",
)
#: batch_rows used to read a file "whole" when a check needs every row at once.
WHOLE_FILE_BATCH_ROWS = 1_000_000
_VENDOR_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_API_VERSION = re.compile(r"^(\d+)\.(\d+)$")


class ConformanceFailure(AssertionError):
    """A plugin breaks the contract; the message says what is wrong and how to fix it."""


def fail(vendor: str, problem: str, fix: str) -> ConformanceFailure:
    """Build the failure every check raises, so all messages read the same way."""
    return ConformanceFailure(f"plugin {vendor!r}: {problem}\nHow to fix: {fix}")


def _signature(hook: str) -> str:
    return f"{hook}{inspect.signature(getattr(hookspecs, hook))}"


def hookspec_names() -> list[str]:
    """Every hook of the contract (the functions of :mod:`pointline_core.hookspecs`)."""
    return sorted(
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("pointline_") and hasattr(fn, f"{hookspecs.PROJECT}_spec")
    )


# --- load-time checks on the plugin object ------------------------------------------------------


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
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
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
                "set ExchangeInfo.asset_class, e.g. 'crypto' or 'equity'",
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


# --- discover -------------------------------------------------------------------------------


def discover_items(
    plugins: Plugins, vendor: str, bronze_root: Path
) -> list[BronzeFile | Unrecognised]:
    """Everything ``discover`` yields for ``bronze_root``, failing if it raises."""
    __tracebackhide__ = True
    try:
        result = plugins.call(
            vendor,
            "pointline_discover",
            vendor_root=bronze_root / vendor,
            bronze_root=bronze_root,
        )
        return list(result or ())
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"pointline_discover raised {type(exc).__name__}: {exc}",
            "discover must not raise for ordinary files: yield Unrecognised(vendor, rel_path, "
            "reason) for a file it cannot ingest",
        ) from exc


def check_discover(
    plugins: Plugins, vendor: str, bronze_root: Path, samples: Mapping[str, Sample]
) -> list[BronzeFile]:
    """``discover`` finds every sample with its data type, and nothing else.

    ``bronze_root`` holds the samples at their ``rel_path`` plus a stray file in the vendor
    folder and a decoy in another folder (see :func:`~pointline_core.testing.samples.
    layout_bronze`). Returns the sample ``BronzeFile`` records in ``rel_path`` order.
    """
    __tracebackhide__ = True
    bronze_root = Path(bronze_root)
    data_types = set(plugins.vendor(vendor).info.data_types)
    for rel, sample in samples.items():
        if sample.data_type not in data_types:
            raise fail(
                vendor,
                f"sample {rel} has data_type {sample.data_type!r}, which VendorInfo.data_types "
                f"does not declare ({sorted(data_types)})",
                "fix Sample.data_type, or declare the data type",
            )
    items = discover_items(plugins, vendor, bronze_root)
    files: dict[str, BronzeFile] = {}
    unrecognised: dict[str, Unrecognised] = {}
    for item in items:
        if isinstance(item, Unrecognised):
            unrecognised[item.rel_path] = item
            continue
        if not isinstance(item, BronzeFile):
            raise fail(
                vendor,
                f"pointline_discover yielded {item!r}",
                "yield only BronzeFile and Unrecognised records (pointline_core.models)",
            )
        _check_bronze_file(item, vendor, bronze_root, data_types)
        if item.rel_path in files:
            raise fail(
                vendor,
                f"pointline_discover yielded {item.rel_path} twice",
                "yield each file once (a file has one data type)",
            )
        files[item.rel_path] = item
    not_found = sorted(set(samples) - set(files))
    if not_found:
        why = [
            f"{rel} (Unrecognised: {unrecognised[rel].reason})"
            if rel in unrecognised
            else f"{rel} (not yielded)"
            for rel in not_found
        ]
        raise fail(
            vendor,
            f"pointline_discover does not find the samples {why}",
            "yield a BronzeFile for every file of your Bronze layout (check the naming rules "
            "in discover, and the samples' rel_path)",
        )
    extra = sorted(set(files) - set(samples))
    if extra:
        raise fail(
            vendor,
            f"pointline_discover returns files that are not ingestible samples: {extra}",
            f"yield Unrecognised(vendor, rel_path, reason) for files you cannot ingest (the "
            f"suite planted {vendor}/{STRAY_FILE}) and never look outside vendor_root",
        )
    wrong = [
        f"{rel}: {files[rel].data_type!r} (sample says {s.data_type!r})"
        for rel, s in samples.items()
        if files[rel].data_type != s.data_type
    ]
    if wrong:
        raise fail(
            vendor,
            f"pointline_discover reports other data types than the samples declare: {wrong}",
            "fix the data type detection in discover (or Sample.data_type)",
        )
    stray = f"{vendor}/{STRAY_FILE}"
    if stray not in unrecognised:
        raise fail(
            vendor,
            f"pointline_discover ignores {stray} silently",
            "yield Unrecognised(vendor, rel_path, reason) for every file under vendor_root "
            "that you cannot ingest, so nothing is skipped without a trace",
        )
    outside = sorted(r for r in unrecognised if not r.startswith(f"{vendor}/"))
    if outside:
        raise fail(
            vendor,
            f"pointline_discover reports files outside its folder: {outside}",
            "walk vendor_root only; other folders belong to other vendors",
        )
    with tempfile.TemporaryDirectory(prefix="pointline-conformance-empty-") as empty:
        found_in_empty = discover_items(plugins, vendor, Path(empty))
    if found_in_empty:
        raise fail(
            vendor,
            "pointline_discover yields files when its vendor folder does not exist",
            "return nothing when vendor_root does not exist",
        )
    return [files[rel] for rel in sorted(files)]


def _check_bronze_file(item: BronzeFile, vendor: str, bronze_root: Path, types: set[str]) -> None:
    __tracebackhide__ = True
    problems = []
    if item.vendor != vendor:
        problems.append(f"vendor is {item.vendor!r}")
    if item.data_type not in types:
        problems.append(f"data_type {item.data_type!r} is not in VendorInfo.data_types")
    path = Path(item.path)
    if not path.is_absolute() or not path.is_file():
        problems.append(f"path {str(path)!r} is not an absolute path of an existing file")
    else:
        try:
            rel = path.resolve().relative_to(bronze_root.resolve()).as_posix()
        except ValueError:
            rel = None
        if rel != item.rel_path:
            problems.append(
                f"rel_path {item.rel_path!r} is not the path relative to the Bronze root "
                f"({rel!r}, '/' separators)"
            )
    if problems:
        raise fail(
            vendor,
            f"pointline_discover yielded a malformed BronzeFile for {item.rel_path}: "
            + "; ".join(problems),
            "yield BronzeFile(vendor, data_type, path, path.relative_to(bronze_root).as_posix(), "
            "meta) with the plugin's own vendor name and a declared data type",
        )


# --- parse ----------------------------------------------------------------------------------


def parse_frames(plugins: Plugins, file: BronzeFile, batch_rows: int) -> list[pl.DataFrame]:
    """Every non-empty frame ``parse`` yields for ``file``, failing on anything but frames."""
    __tracebackhide__ = True
    vendor = file.vendor
    try:
        result = plugins.call(vendor, "pointline_parse", file=file, batch_rows=batch_rows)
        frames = list(result or ())
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"pointline_parse raised {type(exc).__name__} on sample {file.rel_path}: {exc}",
            "parse must read every valid sample; raise ParseError only for unreadable input",
        ) from exc
    bad = [type(f).__name__ for f in frames if not isinstance(f, pl.DataFrame)]
    if bad:
        raise fail(
            vendor,
            f"pointline_parse yielded {bad[0]} for {file.rel_path}",
            "yield polars DataFrames (a LazyFrame must be collected batch by batch)",
        )
    return [f for f in frames if f.height]


def check_parse_batches(
    plugins: Plugins, vendor: str, files: Sequence[BronzeFile], tolerance: float = 1.5
) -> None:
    """With a small ``batch_rows``, ``parse`` yields several bounded batches that concatenate
    to exactly what one big batch holds (same columns, dtypes, rows and order).

    The runner numbers rows across batches (``file_seq``), so a batch size that changes the
    rows or their types would change the lake.
    """
    __tracebackhide__ = True
    tested = 0
    for file in files:
        whole = parse_frames(plugins, file, WHOLE_FILE_BATCH_ROWS)
        rows = sum(f.height for f in whole)
        if rows < 2:
            continue
        tested += 1
        batch_rows = max(1, rows // 3)
        small = parse_frames(plugins, file, batch_rows)
        sizes = [f.height for f in small]
        if len(small) < 2:
            raise fail(
                vendor,
                f"pointline_parse yields {len(small)} batch(es) for {file.rel_path} ({rows} "
                f"rows) with batch_rows={batch_rows}",
                "yield batches of at most about batch_rows rows, e.g. "
                "pl.scan_csv(path, ...).collect_batches(chunk_size=batch_rows)",
            )
        if max(sizes) > batch_rows * tolerance:
            raise fail(
                vendor,
                f"pointline_parse yields batches of {sizes} rows for {file.rel_path} with "
                f"batch_rows={batch_rows}",
                "keep every batch at most about batch_rows rows",
            )
        schemas = {str(f.schema) for f in small + whole}
        if len(schemas) > 1:
            raise fail(
                vendor,
                f"pointline_parse yields frames with different schemas for {file.rel_path} "
                f"depending on the batch: {sorted(schemas)}",
                "give every batch the same columns and dtypes (read with an explicit schema or "
                "infer_schema=False; never infer types per batch)",
            )
        if not pl.concat(small).equals(pl.concat(whole)):
            raise fail(
                vendor,
                f"pointline_parse yields other rows for {file.rel_path} with batch_rows="
                f"{batch_rows} than in one batch",
                "yield every row once, in file order, whatever batch_rows is",
            )
    if not tested:
        raise fail(
            vendor,
            "no sample has at least 2 rows, so batching cannot be checked",
            "add a sample with several rows",
        )


@attrs.frozen(slots=True)
class StreamProbe:
    """What :func:`check_parse_streams` found on the large copy.

    ``method`` is ``"unreadable last line"`` when the deterministic probe decided, or
    ``"timing"`` when the plugin accepted the bad line and the timing probe decided.
    ``rows_before_error`` is how many rows the plugin yielded before refusing the last line.
    """

    rows: int
    batch_rows: int
    batches: int
    first_batch_s: float
    total_s: float
    method: str = "timing"
    rows_before_error: int | None = None

    @property
    def first_share(self) -> float:
        return self.first_batch_s / self.total_s if self.total_s > 0 else 1.0


def _probe_once(plugins: Plugins, file: BronzeFile, batch_rows: int) -> StreamProbe:
    __tracebackhide__ = True
    vendor = file.vendor
    start = time.perf_counter()
    try:
        batches = iter(
            plugins.call(vendor, "pointline_parse", file=file, batch_rows=batch_rows) or ()
        )
        first = next(batches, None)
        first_at = time.perf_counter()
        rows = first.height if isinstance(first, pl.DataFrame) else 0
        count = 1 if first is not None else 0
        for batch in batches:
            rows += batch.height
            count += 1
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"pointline_parse raised {type(exc).__name__} on a large copy of a sample "
            f"({file.rel_path}): {exc}",
            "parse must read any number of valid rows; if the suite's large copy is not a "
            "valid file of your format, override make_large_copy in your test class",
        ) from exc
    end = time.perf_counter()
    return StreamProbe(rows, batch_rows, count, first_at - start, end - start)


def _rows_before_error(
    plugins: Plugins, file: BronzeFile, batch_rows: int
) -> tuple[int, BaseException | None]:
    """Rows ``parse`` yields for ``file`` before it raises (and the error, if any)."""
    rows = 0
    try:
        result = plugins.call(file.vendor, "pointline_parse", file=file, batch_rows=batch_rows)
        for batch in result or ():
            rows += batch.height if isinstance(batch, pl.DataFrame) else 0
    except Exception as exc:  # noqa: BLE001 - the error is the measurement
        return rows, exc
    return rows, None


_STREAM_FIX = (
    "read lazily and yield as you go: pl.scan_csv(path, ...).collect_batches("
    "chunk_size=batch_rows), or read blocks of lines and parse each; never pl.read_csv "
    "(or .collect()) the whole file and slice it"
)


def check_parse_streams(
    plugins: Plugins,
    vendor: str,
    file: BronzeFile,
    rows: int,
    poisoned: BronzeFile | None = None,
    *,
    max_first_share: float = 0.9,
    attempts: int = 3,
) -> StreamProbe:
    """``parse`` does not materialise the whole file before yielding its first batch.

    ``file`` is a large valid file of ``rows`` rows made from a sample; ``poisoned`` is the
    same file with one unreadable line appended at the very end (see
    :func:`~pointline_core.testing.samples.poison_tail`). Both are read with
    ``batch_rows = rows // 32``.

    1. The clean copy must yield all ``rows`` in several batches (sanity of the copy and of
       batching on a large file).
    2. Deterministic probe: on the poisoned copy a streaming parser yields rows and only
       then fails on the last line; a parser that reads and parses the whole file before
       yielding fails before its first batch. No timing is involved, so this cannot flake.
    3. Only if the plugin accepts the bad line (so the probe cannot decide): a timing probe.
       A streaming parser yields its first batch after part of the work (2-60 % with polars'
       ``collect_batches`` or block readers on a 32 MB file); one that reads everything first
       spends ~100 % of the time before its first batch and then only slices memory. The
       share is a ratio of two times of one run, so machine speed cancels out, and the check
       fails only if all ``attempts`` runs are above ``max_first_share``.
    """
    __tracebackhide__ = True
    batch_rows = max(1, rows // 32)
    probe = _probe_once(plugins, file, batch_rows)
    if probe.rows != rows:
        raise fail(
            vendor,
            f"pointline_parse yields {probe.rows} rows for a large copy of sample "
            f"{file.rel_path} made of {rows} data lines",
            "yield every row of the file; if the suite's line-repeating copy does not suit "
            "your format, override make_large_copy in your test class",
        )
    if probe.batches < 2:
        raise fail(
            vendor,
            f"pointline_parse yields {probe.batches} batch for {rows} rows with "
            f"batch_rows={batch_rows}",
            "yield batches of at most about batch_rows rows",
        )
    if poisoned is not None:
        before, error = _rows_before_error(plugins, poisoned, batch_rows)
        if error is not None and before == 0:
            raise fail(
                vendor,
                f"pointline_parse materialises the whole file: on a large copy of sample "
                f"{file.rel_path} ({rows} rows, batch_rows={batch_rows}) whose only "
                f"unreadable line is the last one, parse raised {type(error).__name__} "
                f"({_short(error)}) before yielding a single row, so it read the whole file "
                "before yielding anything",
                _STREAM_FIX,
            )
        if error is not None:
            return attrs.evolve(probe, method="unreadable last line", rows_before_error=before)
    probes = [probe]
    while probe.first_share > max_first_share and len(probes) < attempts:
        probe = _probe_once(plugins, file, batch_rows)
        probes.append(probe)
    best = min(probes, key=lambda p: p.first_share)
    if best.first_share > max_first_share:
        raise fail(
            vendor,
            f"pointline_parse materialises the whole file: on a large copy of sample "
            f"{file.rel_path} ({rows} rows, batch_rows={batch_rows}) the first batch came only "
            f"after {best.first_share:.0%} of the parse time ({best.first_batch_s:.3f}s of "
            f"{best.total_s:.3f}s, best of {len(probes)} runs), so the file was read "
            "completely before anything was yielded (timed, because parse also accepted a "
            "last line of NUL and non-UTF-8 bytes)",
            _STREAM_FIX,
        )
    return best


def _short(error: BaseException, limit: int = 200) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- canonicalize ---------------------------------------------------------------------------


def check_canonicalize(plugins: Plugins, vendor: str, files: Sequence[BronzeFile]) -> None:
    """Each parsed batch becomes exactly the table's vendor columns and dtypes, row for row,
    the same on every call, and only with declared exchanges.

    The contract check itself is the ingest runner's
    :func:`~pointline_core.ingest.transform.check_canonical`, so passing here means the runner
    accepts the frames.
    """
    __tracebackhide__ = True
    declared = {e.name for e in plugins.vendor(vendor).exchanges}
    tested = 0
    for file in files:
        spec = plugins.table_for(vendor, file.data_type)
        whole = parse_frames(plugins, file, WHOLE_FILE_BATCH_ROWS)
        rows = sum(f.height for f in whole)
        for raw in parse_frames(plugins, file, max(1, rows // 3)):
            tested += 1
            out = _canonicalize(plugins, file, spec, raw)
            try:
                check_canonical(out, spec, raw.height, vendor)
            except FileFailed as exc:
                raise fail(
                    vendor, f"on sample {file.rel_path}: {exc.reason}", _canonical_fix(spec, out)
                ) from None
            again = _canonicalize(plugins, file, spec, raw)
            if not (isinstance(again, pl.DataFrame) and again.equals(out)):
                raise fail(
                    vendor,
                    f"pointline_canonicalize returns different frames for the same batch of "
                    f"{file.rel_path}",
                    "make canonicalize a pure function of (file, table, frame): no clocks, "
                    "random numbers or state kept between calls",
                )
            if "exchange" not in out.columns:
                continue
            unknown = sorted(set(out.get_column("exchange").unique().drop_nulls()) - declared)
            if unknown:
                raise fail(
                    vendor,
                    f"pointline_canonicalize returns exchanges {unknown} for {file.rel_path} "
                    f"that pointline_exchanges does not declare ({sorted(declared)})",
                    "declare every exchange your rows name (its timezone decides trading_date)",
                )
    if not tested:
        raise fail(vendor, "no sample has rows to canonicalize", "add a sample with rows")


def _canonicalize(plugins: Plugins, file: BronzeFile, spec: TableSpec, raw: pl.DataFrame) -> Any:
    __tracebackhide__ = True
    try:
        return plugins.call(
            file.vendor, "pointline_canonicalize", file=file, table=spec.name, frame=raw
        )
    except Exception as exc:  # noqa: BLE001
        raise fail(
            file.vendor,
            f"pointline_canonicalize raised {type(exc).__name__} on sample {file.rel_path}: {exc}",
            "valid rows must canonicalize; flag bad rows in the String column "
            f"'{REASON}' instead of raising, and raise CanonicalizeError only when the whole "
            "file is unusable",
        ) from exc


def _canonical_fix(spec: TableSpec, out: object) -> str:
    """What to change, for the columns that are wrong, then the full list for reference."""
    want = spec.vendor_columns()
    steps = []
    if isinstance(out, pl.DataFrame):
        extra = [c for c in out.columns if c not in want and c != REASON]
        missing = [c for c in want if c not in out.columns]
        wrong = [
            f"{c} to {spec.column(c).dtype}"
            for c in want
            if c in out.schema and out.schema[c] != spec.column(c).polars_dtype()
        ]
        if extra:
            steps.append(
                f"drop {extra} (select only the spec's columns at the end of canonicalize; a "
                f"per-row problem goes in the String column '{REASON}', not a new column)"
            )
        if missing:
            steps.append(f"add {missing}")
        if wrong:
            steps.append(
                f"cast {', '.join(wrong)} (pl.col(name).cast(spec.column(name).polars_dtype()); "
                "fixed-point columns come from pointline_core.fixedpoint.encode, which gives "
                "Int64)"
            )
        if out.height and not (extra or missing or wrong):
            steps.append("return one output row per parsed row, in the same order")
    else:
        steps.append("return a polars DataFrame")
    columns = ", ".join(f"{c} {spec.column(c).dtype}" for c in want)
    return (
        "; ".join(steps)
        + f". Table {spec.name!r} expects exactly (spec.vendor_columns(), any order): "
        + columns
        + f", plus optionally '{REASON}' String"
    )


# --- ingest ---------------------------------------------------------------------------------


def import_symbols(
    plugins: Plugins, vendor: str, lake_root: Path, symbols: object, vendor_format: bool = False
) -> None:
    """Load the test's symbols into ``dim_symbol`` so sample rows get a ``symbol_id``.

    ``symbols`` is a generic symbols file (CSV/Parquet: exchange, exchange_symbol, valid_from,
    ...), a polars frame of such rows, or with ``vendor_format`` the vendor's own file read by
    its ``pointline_read_symbols``. ``None`` imports nothing.
    """
    __tracebackhide__ = True
    if symbols is None:
        return
    store = DimSymbolStore(Lake(lake_root))
    if isinstance(symbols, pl.DataFrame):
        store.apply(symbols, source="conformance symbols")
        return
    path = Path(str(symbols))
    if not vendor_format:
        store.import_file(path)
        return
    if not plugins.implements(vendor, "pointline_read_symbols"):
        raise fail(
            vendor,
            "the test asks for vendor-format symbols but the plugin has no pointline_read_symbols",
            "implement pointline_read_symbols, or give a generic symbols file",
        )
    try:
        rows = plugins.call(vendor, "pointline_read_symbols", path=path)
    except Exception as exc:  # noqa: BLE001
        raise fail(
            vendor,
            f"pointline_read_symbols raised {type(exc).__name__} on {path}: {exc}",
            "read the vendor's instrument file into generic symbol rows",
        ) from exc
    if not isinstance(rows, pl.DataFrame):
        raise fail(
            vendor,
            f"pointline_read_symbols returned {type(rows).__name__}",
            "return a polars DataFrame of generic symbol rows",
        )
    store.import_file(path, vendor_rows=rows)


def run_ingest(
    plugins: Plugins,
    vendor: str,
    bronze_root: Path,
    lake_root: Path,
    symbols: object = None,
    vendor_format_symbols: bool = False,
    options: IngestOptions | None = None,
) -> IngestReport:
    """Import the symbols, then ingest ``bronze_root`` for this vendor only (no progress bar)."""
    __tracebackhide__ = True
    import_symbols(plugins, vendor, lake_root, symbols, vendor_format_symbols)
    return ingest(
        bronze_root, lake_root, vendors=[vendor], plugins=plugins, progress=False, options=options
    )


def table_rows(
    lake_root: Path, table: TableSpec, zone: Literal["silver", "quarantine"] = "silver"
) -> pl.DataFrame:
    """All rows of a lake table (empty with the right columns if it was never written)."""
    spec = quarantine_spec(table) if zone == "quarantine" else table
    path = Lake(lake_root).table_path(table.name, zone)
    if not (path / "_delta_log").is_dir():
        return spec.empty_frame()
    return pl.read_delta(str(path))


def check_ingest_counts(
    plugins: Plugins, vendor: str, report: IngestReport, samples: Mapping[str, Sample], lake: Path
) -> None:
    """Every sample lands exactly its expected rows; table totals in the lake agree."""
    __tracebackhide__ = True
    if report.vendor_errors:
        raise fail(
            vendor,
            f"the ingest run failed as a whole: {[e.error for e in report.vendor_errors]}",
            "fix the hook named in the error",
        )
    if report.unrecognised:
        raise fail(
            vendor,
            f"the ingest run found unrecognised files: {[u.rel_path for u in report.unrecognised]}",
            "discover must recognise every sample",
        )
    results = {f.rel_path: f for f in report.files}
    expected_tables: dict[str, int] = {}
    for rel, sample in sorted(samples.items()):
        table = plugins.table_for(vendor, sample.data_type).name
        unexpected = sorted(set(sample.expected_rows) - {table})
        if unexpected:
            raise fail(
                vendor,
                f"sample {rel} expects rows in {unexpected}, but data type "
                f"{sample.data_type!r} lands in table {table!r}",
                f"key Sample.expected_rows by {table!r}",
            )
        want = sample.expected_rows.get(table, 0)
        expected_tables[table] = expected_tables.get(table, 0) + want
        got = results.get(rel)
        if got is None:
            raise fail(vendor, f"the ingest run did not process sample {rel}", "see discover")
        if got.status == "failed":
            raise fail(
                vendor,
                f"sample {rel} failed to ingest: {got.reason}",
                "fix the hook named in the reason; the check of that hook says exactly what",
            )
        if (got.rows_written, got.rows_quarantined) != (want, sample.expected_quarantined):
            hint = "check the sample's expected counts and canonicalize"
            if "symbol_not_covered" in got.quarantine_reasons:
                hint = (
                    "rows were quarantined as symbol_not_covered: give the test symbols "
                    "(the `symbols` attribute) with a dim_symbol window for every "
                    "(exchange, symbol) of the samples, starting before their first event"
                )
            raise fail(
                vendor,
                f"sample {rel} landed {got.rows_written} rows in {table!r} and quarantined "
                f"{got.rows_quarantined} (reasons {got.quarantine_reasons}); expected "
                f"{want} and {sample.expected_quarantined}",
                hint,
            )
    for table, want in sorted(expected_tables.items()):
        have = table_rows(lake, plugins.tables.get(table)).height
        if have != want:
            raise fail(
                vendor,
                f"table {table!r} holds {have} rows after ingesting the samples; expected {want}",
                "check the samples' expected counts",
            )


def lake_snapshot(lake_root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every data and log file in the lake (locks excluded)."""
    lake_root = Path(lake_root)
    return {
        p.relative_to(lake_root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lake_root.rglob("*"))
        if p.is_file() and p.relative_to(lake_root).parts[0] != LOCK_DIR
    }


def check_rerun_writes_nothing(
    plugins: Plugins,
    vendor: str,
    bronze_root: Path,
    lake_root: Path,
    options: IngestOptions | None = None,
    first: IngestReport | None = None,
) -> None:
    """Ingesting the same Bronze root again skips every file and changes no lake file.

    A plugin whose discover reports other paths or data types on each run, or whose files
    change when read, would re-ingest (and duplicate work) on every run. ``first`` is the
    report of the ingest that filled the lake: files that failed there are retried by design,
    so the check then reports that instead.
    """
    __tracebackhide__ = True
    failed = [f.rel_path for f in (first.files if first else []) if f.status == "failed"]
    if failed:
        raise fail(
            vendor,
            f"cannot check reruns: the first ingest failed for {failed} (failed files are "
            "retried on every run by design)",
            "make the first ingest succeed (see test_ingest_lands_the_expected_rows)",
        )
    before = lake_snapshot(lake_root)
    report = ingest(
        bronze_root, lake_root, vendors=[vendor], plugins=plugins, progress=False, options=options
    )
    redone = [f"{f.rel_path} ({f.status})" for f in report.files if f.status != "skipped"]
    after = lake_snapshot(lake_root)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if redone or changed:
        raise fail(
            vendor,
            f"a rerun over the same Bronze files did work: files not skipped {redone}; lake "
            f"files changed {changed[:10]}",
            "discover must report the same rel_path and data_type for a file on every run, "
            "and nothing may modify Bronze files",
        )


def check_same_lake_content(
    plugins: Plugins, vendor: str, tables: Iterable[str], lake_a: Path, lake_b: Path
) -> None:
    """Two ingests of the same samples (different batch sizes) hold identical rows.

    Determinism is a contract rule: same Bronze input, same Silver content, ids included,
    whatever the batch size or the runner's grouping of files.
    """
    __tracebackhide__ = True
    for name in sorted(set(tables)):
        spec = plugins.tables.get(name)
        for zone in ("silver", "quarantine"):
            order = ["file_id", "file_seq"]
            a = table_rows(lake_a, spec, zone).sort(order)
            b = table_rows(lake_b, spec, zone).sort(order)
            b = b.select(a.columns) if set(a.columns) == set(b.columns) else b
            if not a.equals(b):
                raise fail(
                    vendor,
                    f"{zone} table {name!r} differs between two ingests of the same samples "
                    f"(batch_rows differs): {a.height} vs {b.height} rows",
                    "canonicalize must not depend on batch boundaries or call order: derive "
                    "every value from the row (and the file), never from the batch",
                )


def check_corrupted_sample_fails(
    plugins: Plugins,
    vendor: str,
    report: IngestReport,
    corrupted_rel: str,
    lake_root: Path,
    samples: Mapping[str, Sample],
) -> None:
    """The corrupted file is marked failed with a reason naming the plugin and lands nothing;
    the other samples still ingest."""
    __tracebackhide__ = True
    results = {f.rel_path: f for f in report.files}
    got = results.get(corrupted_rel)
    if got is None:
        raise fail(
            vendor,
            f"the corrupted copy of {corrupted_rel} was not even discovered",
            "discover names files by their path, not their content: yield it as a BronzeFile",
        )
    if got.status != "failed":
        raise fail(
            vendor,
            f"a corrupted copy of {corrupted_rel} (cut mid-line, then bytes that are not UTF-8; "
            f"or a truncated gzip stream) was accepted: status {got.status}, "
            f"{got.rows_written} rows written, {got.rows_quarantined} quarantined",
            "raise pointline_core.errors.ParseError(message, path=..., line=...) from parse when "
            "the input is unreadable (bad encoding, truncated stream, wrong field count); if "
            "your format tolerates this corruption, override corrupt() in your test class "
            "with one it must reject",
        )
    reason = got.reason or ""
    if f"plugin {vendor!r}" not in reason:
        raise fail(
            vendor,
            f"the corrupted copy failed with a reason that does not name the plugin: {reason!r}",
            "let the error propagate from your hook; the runner adds the plugin name",
        )
    if " raised " in reason:
        raise fail(
            vendor,
            f"the corrupted copy failed with an unexpected exception: {reason}",
            "catch the reader's errors in parse and raise pointline_core.errors.ParseError with "
            "the path and, where known, line and column, so the reason says what is wrong",
        )
    if got.file_id is not None:
        spec = plugins.table_for(vendor, got.data_type)
        for zone in ("silver", "quarantine"):
            rows = table_rows(lake_root, spec, zone).filter(pl.col("file_id") == got.file_id)
            if rows.height:
                raise fail(
                    vendor,
                    f"the failed corrupted file left {rows.height} rows in {zone} {spec.name!r}",
                    "raise while parsing instead of yielding partial batches that can be written",
                )
    others = [
        f"{f.rel_path}: {f.reason}"
        for f in report.files
        if f.rel_path != corrupted_rel and f.rel_path in samples and f.status == "failed"
    ]
    if others:
        raise fail(
            vendor,
            f"one corrupted file made other samples fail: {others}",
            "keep no state between files in the plugin",
        )
