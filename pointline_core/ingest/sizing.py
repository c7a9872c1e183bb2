"""What a Bronze file costs in memory: its decoded size, estimated without decoding it.

Units are bounded by this cost, not by bytes on disk: a gzip of text expands 6-10x, so a
23 MB book file decodes to ~165 MB and, processed whole, peaks near 1 GiB, while a streamed
file of any size stays at a few hundred MB. The estimate reads a few bytes per file:

* ``.gz``: the gzip trailer's ISIZE (decoded size modulo 2**32, of the last member only);
  when it is smaller than the file itself it cannot be the whole story (a multi-member file,
  or a decoded size past 4 GiB), and the file counts :data:`UNKNOWN_EXPANSION` x its size;
* ``.zip``: the sum of the members' uncompressed sizes from the central directory;
* other compressed suffixes (``.zst``, ``.bz2``, ``.xz``, ``.lz4``): :data:`UNKNOWN_EXPANSION`
  x the size on disk (conservative: such a file streams earlier than it needs to);
* anything else: the size on disk.

An estimate only decides where a file is processed (streamed alone or with others); it never
changes a row.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

#: Expansion assumed for a compressed file whose decoded size is not recorded cheaply.
UNKNOWN_EXPANSION = 10
_OPAQUE = (".zst", ".bz2", ".xz", ".lz4")


def decoded_size(path: Path, size: int) -> int:
    """The estimated decoded size in bytes of the file at ``path`` (``size`` bytes on disk).

    Never raises: an unreadable file counts as its size on disk (it fails later, in parse,
    with its own reason)."""
    name = path.name.lower()
    try:
        if name.endswith(".gz"):
            return _gzip_size(path, size)
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                return sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return size
    if name.endswith(_OPAQUE):
        return size * UNKNOWN_EXPANSION
    return size


def _gzip_size(path: Path, size: int) -> int:
    if size < 18:  # shorter than a gzip header and trailer: not a gzip, parse will say so
        return size
    fd = os.open(path, os.O_RDONLY)  # ~3 us a file, half of a file object's open+seek+read
    try:
        isize = int.from_bytes(os.pread(fd, 4, size - 4), "little")
    finally:
        os.close(fd)
    return isize if isize >= size else size * UNKNOWN_EXPANSION
