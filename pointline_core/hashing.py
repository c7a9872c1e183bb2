"""Content hashes that identify Bronze files and upstream archives."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks (memory does not grow with size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


#: Files at least this big are hashed on the thread pool; smaller ones in the calling thread
#: (for a 10 KB file, handing it to a thread costs more than hashing it: 20,000 small files
#: took 0.29 s in one thread and 0.9 s on two).
PARALLEL_BYTES = _CHUNK


def sha256_files(
    paths: Sequence[Path],
    sizes: Sequence[int],
    threads: int,
    on_done: Callable[[int], None] | None = None,
) -> list[str | OSError]:
    """:func:`sha256_file` of each path (``sizes``: their sizes on disk), in order; a file
    that cannot be read gives its ``OSError`` in its place. Files of :data:`PARALLEL_BYTES` or
    more are hashed on up to ``threads`` threads: hashlib and file reads release the GIL, so a
    backfill's terabyte is read at the disks' rate rather than one core's (~1.1 GB/s here: 4
    files of 75 MB take 0.22 s on one thread, 0.11 s on two). ``on_done(size)`` is called in
    the calling thread as each file is done (progress)."""
    out: list[str | OSError] = [""] * len(paths)
    done = on_done or (lambda _size: None)
    big = [i for i, size in enumerate(sizes) if size >= PARALLEL_BYTES]
    if threads <= 1 or len(big) <= 1:
        big = []
    pooled = set(big)
    for i, path in enumerate(paths):  # the small files first, in the calling thread
        if i not in pooled:
            out[i] = _try_sha256(path)
            done(sizes[i])
    if big:
        with ThreadPoolExecutor(max_workers=min(threads, len(big))) as pool:
            for i, sha in zip(big, pool.map(_try_sha256, [paths[i] for i in big]), strict=True):
                out[i] = sha
                done(sizes[i])
    return out


def _try_sha256(path: Path) -> str | OSError:
    try:
        return sha256_file(path)
    except OSError as exc:
        return exc
