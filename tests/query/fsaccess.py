"""Which files a piece of code opens, as the kernel sees it (Linux inotify, via ctypes).

A scan that prunes badly still returns the right rows, so row counts cannot show pruning.
Counting IN_OPEN events on the table's directories counts every open(2) of a data file,
whoever issues it (polars' Rust reader included), so it fails whenever pruning is broken.
"""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

IN_OPEN = 0x00000020
_EVENT = struct.Struct("iIII")


class OpenedFiles:
    """Paths opened under the watched directories while the context was active."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def parquet(self) -> set[str]:
        return {p for p in self.paths if p.endswith(".parquet")}


def _directories(root: Path) -> list[Path]:
    return [root, *(p for p in root.rglob("*") if p.is_dir() and "_delta_log" not in p.parts)]


@contextmanager
def opened_files(root: Path) -> Iterator[OpenedFiles]:
    """Record the files opened under ``root`` (its directories at entry) inside the block."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1 failed")
    result = OpenedFiles()
    try:
        watches = {}
        for directory in _directories(root):
            wd = libc.inotify_add_watch(fd, os.fsencode(directory), IN_OPEN)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {directory}")
            watches[wd] = str(directory)
        yield result
        while True:
            try:
                buf = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            offset = 0
            while offset < len(buf):
                wd, _mask, _cookie, length = _EVENT.unpack_from(buf, offset)
                name = buf[offset + _EVENT.size : offset + _EVENT.size + length]
                offset += _EVENT.size + length
                if wd in watches:
                    result.paths.append(os.path.join(watches[wd], name.rstrip(b"\0").decode()))
    finally:
        os.close(fd)
