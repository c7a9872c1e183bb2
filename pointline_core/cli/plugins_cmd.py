"""``pointline vendors`` and ``pointline tables``."""

from __future__ import annotations

import argparse

import attrs

from pointline_core.cli.output import print_json, print_table
from pointline_core.plugins import LoadFailure, load_plugins
from pointline_core.schemas.spec import TableSpec

EDITABLE_HINT = (
    "no vendor plugins are installed. Install a plugin wheel (pip install pointline-<vendor>); "
    "with an editable install, entry points are only refreshed by reinstalling "
    "(pip install -e <plugin dir> again)."
)


@attrs.frozen(slots=True)
class VendorRow:
    name: str
    distribution: str | None
    version: str | None
    description: str
    api_version: str
    data_types: dict[str, str]
    exchanges: list[str]


@attrs.frozen(slots=True)
class VendorsReport:
    vendors: list[VendorRow]
    load_errors: list[LoadFailure]
    hint: str | None


def vendors_report() -> VendorsReport:
    plugins = load_plugins()
    rows = [
        VendorRow(
            name=v.info.name,
            distribution=v.distribution,
            version=v.version or v.info.version,
            description=v.info.description,
            api_version=v.info.api_version,
            data_types=dict(sorted(v.table_mapping.items())),
            exchanges=sorted(e.name for e in v.exchanges),
        )
        for v in (plugins.vendors[n] for n in plugins.names())
    ]
    hint = EDITABLE_HINT if not rows else None
    return VendorsReport(rows, list(plugins.failures), hint)


def _vendors(args: argparse.Namespace) -> int:
    report = vendors_report()
    if args.json:
        print_json(report)
        return 0
    if report.vendors:
        print_table(
            ["vendor", "distribution", "version", "data types", "exchanges"],
            [
                [
                    r.name,
                    r.distribution or "(in-process)",
                    r.version,
                    ", ".join(f"{k}->{v}" for k, v in r.data_types.items()),
                    f"{len(r.exchanges)}: "
                    + ", ".join(r.exchanges[:6])
                    + (" ..." if len(r.exchanges) > 6 else ""),
                ]
                for r in report.vendors
            ],
        )
    if report.load_errors:
        print("\nplugins that failed to load:")
        for f in report.load_errors:
            print(f"  {f.name} ({f.distribution or '?'} {f.version or '?'}): {f.error}")
    if report.hint:
        print(f"hint: {report.hint}")
    return 0


def _tables(args: argparse.Namespace) -> int:
    specs: list[TableSpec] = load_plugins().tables.specs()
    if args.json:
        print_json(specs)
        return 0
    for spec in specs:
        print(f"{spec.name} ({spec.kind}) - {spec.description}")
        if spec.partition_by:
            print(f"  partition_by: {', '.join(spec.partition_by)}")
        if spec.tie_break:
            print(f"  tie_break:    {', '.join(spec.tie_break)}")
        for c in spec.columns:
            extra = []
            if c.scale is not None:
                extra.append(f"scale=1e-{c.scale}")
            if c.allowed:
                extra.append("in {" + ",".join(c.allowed) + "}")
            if c.positive:
                extra.append(">0")
            null = "null" if c.nullable else "not null"
            print(f"    {c.name:<24}{c.dtype:<14}{null:<9}{' '.join(extra)}")
        print()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("vendors", help="list installed vendor plugins and load errors")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_vendors)
    p = sub.add_parser("tables", help="list canonical table schemas")
    p.add_argument("--json", action="store_true", help="print the specs as JSON")
    p.set_defaults(func=_tables)
