"""Build throw-away vendor plugins as real distributions (dist-info + module) in a folder."""

from __future__ import annotations

import textwrap
from importlib.metadata import EntryPoint, distributions
from pathlib import Path

from pointline_core.plugins import ENTRY_POINT_GROUP

GOOD_BODY = """
from pointline_core import PLUGIN_API_VERSION, hookimpl
from pointline_core.models import ExchangeInfo, VendorInfo

@hookimpl
def pointline_vendor_info():
    return VendorInfo("{vendor}", "1.0", "fake", ("ticks",), {api!r})

@hookimpl
def pointline_table_mapping():
    return {{"ticks": "trades"}}

@hookimpl
def pointline_exchanges():
    return [ExchangeInfo("{exchange}", "{tz}", "crypto")]
"""


def make_plugin(
    root: Path,
    dist: str,
    ep_name: str,
    module: str,
    *,
    vendor: str | None = None,
    api: str = "PLUGIN_API_VERSION",
    exchange: str = "fakex",
    tz: str = "UTC",
    extra: str = "",
    body: str | None = None,
) -> None:
    """Write ``<module>.py`` and ``<dist>-1.0.dist-info`` with one pointline.vendors entry."""
    code = (
        body
        if body is not None
        else GOOD_BODY.format(vendor=vendor or ep_name, api=api, exchange=exchange, tz=tz)
    )
    if api == "PLUGIN_API_VERSION":
        code = code.replace("'PLUGIN_API_VERSION'", "PLUGIN_API_VERSION")
    (root / f"{module}.py").write_text(textwrap.dedent(code) + textwrap.dedent(extra))
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{ep_name} = {module}\n")


def entry_points_in(root: Path) -> list[EntryPoint]:
    return [
        ep
        for d in distributions(path=[str(root)])
        for ep in d.entry_points
        if ep.group == ENTRY_POINT_GROUP
    ]
