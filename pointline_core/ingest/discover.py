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
    order whatever order the plugin or the file system listed them in. A file whose path is
    not valid UTF-8 is reported unrecognised (with ``\\x`` escapes), never ingested.
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
        for file in mine:
            if is_utf8(file.rel_path):
                files.append(file)
            else:
                unrecognised.append(
                    Unrecognised(vendor, printable(file.rel_path), not_utf8_reason(file.rel_path))
                )
        unrecognised.extend(
            u if is_utf8(u.rel_path) and is_utf8(u.reason) else _printable_unrecognised(u)
            for u in other
        )
    unrecognised.extend(_foreign_folders(plugins, bronze_root))
    files.sort(key=lambda f: (f.vendor, f.rel_path, f.data_type))
    unrecognised.sort(key=lambda u: (u.vendor, u.rel_path))
    return Discovered(files, unrecognised, errors)


def not_utf8_reason(rel_path: str) -> str:
    """Why a path that is not valid UTF-8 is not ingested, and what to do."""
    return (
        f"file name is not valid UTF-8: {printable(rel_path.rsplit('/', 1)[-1])} (bytes that "
        "are not UTF-8 shown as \\xNN); rename it to UTF-8 (e.g. convmv -f latin1 -t utf8) "
        "so the lake can record it"
    )


def is_utf8(text: str) -> bool:
    """False for a name decoded from bytes that are not UTF-8 (Python keeps such bytes as
    lone surrogates, which no table, report or terminal can hold)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with the bytes that are not UTF-8 written as ``\\xNN`` escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _printable_unrecognised(u: Unrecognised) -> Unrecognised:
    reason = printable(u.reason)
    if not is_utf8(u.rel_path):
        reason = f"{not_utf8_reason(u.rel_path)}; {reason}"
    return Unrecognised(u.vendor, printable(u.rel_path), reason)


def _foreign_folders(plugins: Plugins, bronze_root: Path) -> list[Unrecognised]:
    """Top-level Bronze folders no installed plugin owns: reported, never silently skipped.

    Names starting with ``_`` or ``.`` are Pointline's or the system's (for example the
    upstream ledger under ``_pointline``) and are left alone.
    """
    installed = set(plugins.names())
    return [
        Unrecognised(
            printable(entry.name),
            f"{printable(entry.name)}/",
            f"no installed plugin owns the Bronze folder {printable(entry.name)!r} (installed: "
            f"{', '.join(sorted(installed)) or 'none'}); install pointline-{entry.name} or "
            "move the folder",
        )
        for entry in sorted(bronze_root.iterdir())
        if entry.is_dir() and entry.name not in installed and not entry.name.startswith(("_", "."))
    ]
