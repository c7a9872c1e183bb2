"""A throw-away archive vendor for the core upstream tests, registered in-process.

Archives are named ``bars_<YYYYMMDD>.7z`` (or ``.zip``) and hold ``<stem>/<SYMBOL>.csv``
members; each member is published as ``date=<YYYYMMDD>/<SYMBOL>.csv.gz``. Symbols must be
upper-case letters; anything else is rejected; non-CSV members are ignored.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import py7zr

from pointline_core import PLUGIN_API_VERSION, hookimpl
from pointline_core.errors import ArchiveNameError, MemberRejected
from pointline_core.models import ArchiveInfo, ExchangeInfo, MemberTarget, VendorInfo
from pointline_core.plugins import Plugins

VENDOR = "acme"
NAME = re.compile(r"^bars_(\d{8})\.(7z|zip)$")
SYMBOL = re.compile(r"^[A-Z]+$")


@hookimpl
def pointline_vendor_info() -> VendorInfo:
    return VendorInfo(VENDOR, "0.0.1", "test archives", ("bars",), PLUGIN_API_VERSION)


@hookimpl
def pointline_table_mapping() -> dict[str, str]:
    return {"bars": "trades"}


@hookimpl
def pointline_exchanges() -> list[ExchangeInfo]:
    return [ExchangeInfo("acme-x", "UTC", "crypto")]


@hookimpl
def pointline_discover(vendor_root, bronze_root):
    return iter(())


@hookimpl
def pointline_recognize_archive(archive: Path) -> ArchiveInfo:
    m = NAME.match(archive.name)
    if m is None:
        raise ArchiveNameError(f"{archive.name!r} does not match bars_<YYYYMMDD>.7z")
    return ArchiveInfo(VENDOR, archive.name, m.group(2), (("date", m.group(1)),))


@hookimpl
def pointline_member_path(archive: ArchiveInfo, member: str) -> MemberTarget | None:
    base = member.rsplit("/", 1)[-1]
    if not base.lower().endswith(".csv"):
        return None
    symbol = base[:-4]
    if not SYMBOL.match(symbol):
        raise MemberRejected(f"symbol {symbol!r} is not upper-case letters")
    return MemberTarget(f"date={archive.fields_dict()['date']}/{symbol}.csv.gz")


def plugins() -> Plugins:
    p = Plugins()
    p.register(sys.modules[__name__])
    return p


def member_bytes(symbol: str, rows: int) -> bytes:
    """A CSV with ``rows`` data rows whose content depends on ``symbol``."""
    seed = sum(symbol.encode())
    lines = ["ts,price,qty"]
    lines += [f"{i},{100 + (i + seed) % 7}.{i % 100:02d},{i % 13 + 1}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def make_7z(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with py7zr.SevenZipFile(path, "w", filters=[{"id": py7zr.FILTER_LZMA2, "preset": 1}]) as z:
        for name, data in members.items():
            z.writestr(data, name)
    return path


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def make_7z_raw_names(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """A 7z whose member names are stored exactly as given, even names py7zr refuses to
    write (``../x.csv``, ``/abs/x.csv``) or repeats. Written with placeholder names of the same
    length into a plain (not encoded) header, then the names are patched in place and the
    header CRCs recomputed."""
    import struct
    import zlib

    path.parent.mkdir(parents=True, exist_ok=True)
    # "Q003xxxx"-style names as long as the real ones; the index right after "Q" keeps one
    # placeholder from occurring inside another (real names need >= 4 characters).
    placeholders = [f"Q{i:03d}".ljust(len(n), "x") for i, (n, _) in enumerate(members)]
    with py7zr.SevenZipFile(path, "w", filters=[{"id": py7zr.FILTER_LZMA2, "preset": 1}]) as z:
        z.encoded_header_mode = False
        for placeholder, (_, data) in zip(placeholders, members, strict=True):
            z.writestr(data, placeholder)
    raw = bytearray(path.read_bytes())
    offset, size = struct.unpack("<QQ", raw[12:28])
    start = 32 + offset
    header = bytes(raw[start : start + size])
    for placeholder, (name, _) in zip(placeholders, members, strict=True):
        old, new = placeholder.encode("utf-16-le"), name.encode("utf-16-le")
        assert len(old) == len(new) and header.count(old) == 1, name
        header = header.replace(old, new)
    raw[start : start + size] = header
    raw[28:32] = struct.pack("<I", zlib.crc32(header))
    raw[8:12] = struct.pack("<I", zlib.crc32(bytes(raw[12:32])))
    path.write_bytes(bytes(raw))
    return path
