"""Fixtures for the Quant360 plugin tests: the plugin registered in-process, archives built
in the test (real solid LZMA2 .7z files), and the archive -> Bronze -> canonical path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pointline_quant360.hooks as hooks
import polars as pl
import pytest
from pointline_quant360 import sample

from pointline_core.plugins import Plugins
from pointline_core.upstream.runner import ExtractReport, extract

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real"
DOLPHIN = REAL / "dolphindb_tutorials_cn"


def require_real(path: Path) -> Path:
    """``path`` if present; fail under CI (env CI=true), skip locally, when it is missing."""
    if path.exists():
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"real sample data missing under CI: {path}")
    pytest.skip(f"real sample data not present: {path}")
    raise AssertionError("unreachable")


@pytest.fixture
def plugins() -> Plugins:
    p = Plugins()
    p.register(hooks)
    return p


@pytest.fixture
def write_archives() -> Callable[[Path, dict[str, dict[str, bytes]]], Path]:
    """Write {archive name: {member: bytes}} as .7z files under ``<root>/quant360/``."""

    def write(root: Path, archives: dict[str, dict[str, bytes]]) -> Path:
        for name, members in archives.items():
            sample.write_archive(root / "quant360" / name, members, preset=1)
        return root

    return write


def write_raw_names_7z(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """A solid 7z whose member names are stored exactly as given, even names py7zr refuses to
    write (``../x.csv``, ``/abs/x.csv``) or repeats: written with same-length placeholder names
    into a plain header, then patched in place with the header CRCs recomputed."""
    import struct
    import zlib

    import py7zr

    path.parent.mkdir(parents=True, exist_ok=True)
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


def seven_zip_backend(name: str) -> str:
    """``name`` if usable; the 7-Zip program missing fails under CI, skips locally."""
    from pointline_core.upstream.archive import find_7z_cli

    if name == "cli" and find_7z_cli() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no 7-Zip program (7zz/7z/7za) on PATH under CI; install Debian's 7zip")
        pytest.skip("no 7-Zip program (7zz/7z/7za) on PATH")
    return name


def canonical(plugins: Plugins, bronze: Path, batch_rows: int = 64) -> dict[tuple, pl.DataFrame]:
    """Discover, parse (in small batches) and canonicalize every Bronze file, through the
    routed hooks. Key: (exchange, data_type, symbol)."""
    out: dict[tuple, pl.DataFrame] = {}
    found = plugins.call(
        "quant360", "pointline_discover", vendor_root=bronze / "quant360", bronze_root=bronze
    )
    for f in found:
        assert not hasattr(f, "reason"), f
        table = plugins.table_for("quant360", f.data_type)
        frames = [
            plugins.call("quant360", "pointline_canonicalize", file=f, table=table.name, frame=b)
            for b in plugins.call("quant360", "pointline_parse", file=f, batch_rows=batch_rows)
        ]
        meta = f.meta_dict()
        if frames:
            out[(meta["exchange"], f.data_type, meta["symbol"])] = pl.concat(frames)
    return out


@pytest.fixture
def run_extract(plugins) -> Callable[..., ExtractReport]:
    def run(source: Path, bronze: Path, **kw: object) -> ExtractReport:
        return extract(source, bronze, plugins=plugins, **kw)

    return run


@pytest.fixture
def to_canonical(plugins) -> Callable[..., dict[tuple, pl.DataFrame]]:
    return lambda bronze, batch_rows=64: canonical(plugins, bronze, batch_rows)


@pytest.fixture
def real_file() -> Callable[[Path], Path]:
    return require_real


@pytest.fixture
def raw_names_7z() -> Callable[[Path, list[tuple[str, bytes]]], Path]:
    return write_raw_names_7z


@pytest.fixture
def backend_or_skip() -> Callable[[str], str]:
    return seven_zip_backend
