"""Stage 1: ask each selected plugin what is under its Bronze folder, and hash it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from pointline_core.ingest.report import VendorError
from pointline_core.models import BronzeFile, Unrecognised
from pointline_core.plugins import Plugins


@attrs.frozen(slots=True)
class Discovered:
    files: list[BronzeFile]
    unrecognised: list[Unrecognised]
    errors: list[VendorError]


def discover(plugins: Plugins, bronze_root: Path, vendors: Sequence[str]) -> Discovered:
    """Run ``pointline_discover`` on each vendor; a plugin that raises is reported, not fatal.

    Files come back sorted by (vendor, rel_path) so that file ids are allocated in the same
    order whatever order the plugin or the file system listed them in.
    """
    files: list[BronzeFile] = []
    unrecognised: list[Unrecognised] = []
    errors: list[VendorError] = []
    for vendor in vendors:
        # Collect per vendor first: a plugin that fails half-way contributes nothing.
        mine: list[BronzeFile] = []
        other: list[Unrecognised] = []
        try:
            found = plugins.call(
                vendor,
                "pointline_discover",
                vendor_root=bronze_root / vendor,
                bronze_root=bronze_root,
            )
            for item in found or ():
                if isinstance(item, BronzeFile) and item.vendor == vendor:
                    mine.append(item)
                elif isinstance(item, Unrecognised):
                    other.append(item)
                else:
                    raise TypeError(
                        f"discover yielded {item!r}; expected BronzeFile (of vendor "
                        f"{vendor!r}) or Unrecognised"
                    )
        except Exception as exc:  # noqa: BLE001 - one plugin must not stop the others
            errors.append(
                VendorError(vendor, "discover", f"plugin {vendor!r}: {type(exc).__name__}: {exc}")
            )
            continue
        files.extend(mine)
        unrecognised.extend(other)
    unrecognised.extend(_foreign_folders(plugins, bronze_root))
    files.sort(key=lambda f: (f.vendor, f.rel_path, f.data_type))
    unrecognised.sort(key=lambda u: (u.vendor, u.rel_path))
    return Discovered(files, unrecognised, errors)


def _foreign_folders(plugins: Plugins, bronze_root: Path) -> list[Unrecognised]:
    """Top-level Bronze folders no installed plugin owns: reported, never silently skipped.

    Names starting with ``_`` or ``.`` are Pointline's or the system's (for example the
    upstream ledger under ``_pointline``) and are left alone.
    """
    installed = set(plugins.names())
    return [
        Unrecognised(
            entry.name,
            f"{entry.name}/",
            f"no installed plugin owns the Bronze folder {entry.name!r} (installed: "
            f"{', '.join(sorted(installed)) or 'none'}); install pointline-{entry.name} or "
            "move the folder",
        )
        for entry in sorted(bronze_root.iterdir())
        if entry.is_dir() and entry.name not in installed and not entry.name.startswith(("_", "."))
    ]
