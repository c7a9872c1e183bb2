"""Sample Bronze files for the conformance suite: what they are and how they are laid out.

A plugin author describes each sample with a :class:`Sample`: the file, its data type and the
rows it must land in the lake. The suite copies the samples into a private Bronze root (so
``discover`` sees exactly them), makes a large copy of one to prove that ``parse`` streams,
and a corrupted copy to prove that unreadable input fails loudly. The defaults here handle
line-oriented text files, plain or gzip-compressed, with header lines on top (CSV, TSV,
JSON lines); a plugin whose files look different overrides the matching method of
:class:`~pointline_core.testing.PluginConformance`.
"""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TypeVar

import attrs

GZIP_MAGIC = b"\x1f\x8b"
#: Name of the file the suite drops into the vendor folder to check that ``discover`` reports
#: files it cannot ingest (as ``Unrecognised``) instead of ingesting or ignoring them.
STRAY_FILE = "conformance-stray-file.not-vendor-data"
#: Folder next to the vendor's own, holding a decoy file ``discover`` must never return.
DECOY_FOLDER = "zz-conformance-other-vendor"
#: Bytes appended by the default corruption: a NUL, bytes that are not UTF-8, a short line.
GARBAGE = b"\x00\xff\xfe\xfd\x80 garbled by the conformance suite \x00\xc3\x28,\n"


class SampleError(ValueError):
    """A :class:`Sample` cannot be used as given (the message says how to fix it)."""


def _as_path(value: str | Path) -> Path:
    return Path(value)


def _as_counts(value: Mapping[str, int]) -> dict[str, int]:
    return {str(k): int(v) for k, v in dict(value).items()}


@attrs.frozen(slots=True, eq=False)
class Sample:
    """One sample Bronze file and what ingesting it must produce.

    ``path`` is the file as the vendor delivers it. ``data_type`` is what ``discover`` must
    report for it. ``expected_rows`` maps the table the data type lands in to the number of
    rows that must reach the Silver table; ``expected_quarantined`` is how many rows of the
    file must go to quarantine instead (zero for a clean sample). ``rel_path`` is where the
    file goes under the Bronze root (``<vendor>/...``); by default it is the part of ``path``
    from the last folder named after the vendor, so a sample folder laid out like a Bronze
    root needs no ``rel_path``.
    """

    path: Path = attrs.field(converter=_as_path)
    data_type: str
    expected_rows: dict[str, int] = attrs.field(converter=_as_counts)
    expected_quarantined: int = 0
    rel_path: str | None = None

    @property
    def rows_total(self) -> int:
        """Rows ``parse`` must yield for the file: written plus quarantined."""
        return sum(self.expected_rows.values()) + self.expected_quarantined

    def bronze_rel_path(self, vendor: str) -> str:
        """Where the sample goes under a Bronze root, checked to lie in the vendor's folder.

        The suite needs this to lay out a Bronze root that looks like production.
        """
        if self.rel_path is not None:
            rel = PurePosixPath(self.rel_path)
        else:
            parts = self.path.parts
            folders = [i for i, part in enumerate(parts[:-1]) if part == vendor]
            if not folders:
                raise SampleError(
                    f"sample {self.path}: cannot tell where it goes under the Bronze root; put "
                    f"it in a folder laid out like a Bronze root (.../{vendor}/...) or pass "
                    f"Sample(..., rel_path='{vendor}/<path the file has in Bronze>')"
                )
            rel = PurePosixPath(*parts[folders[-1] :])
        if (
            rel.is_absolute()
            or ".." in rel.parts
            or rel.parts[:1] != (vendor,)
            or len(rel.parts) < 2
        ):
            raise SampleError(
                f"sample {self.path}: rel_path {str(rel)!r} must be a relative path inside the "
                f"vendor's Bronze folder, i.e. start with '{vendor}/'"
            )
        return rel.as_posix()


T = TypeVar("T")


def file_key(rel_path: str, data_type: str, shared: bool) -> str:
    """How the suite names one (Bronze file, data type): its path, plus ``[data_type]`` when
    the file is listed under several data types (its rows go to several tables)."""
    return f"{rel_path} [{data_type}]" if shared else rel_path


def keyed(items: Sequence[tuple[str, str, T]]) -> dict[str, T]:
    """``{file_key: value}`` for ``(rel_path, data_type, value)`` triples."""
    counts = Counter(rel for rel, _data_type, _value in items)
    return {file_key(rel, dt, counts[rel] > 1): value for rel, dt, value in items}


def layout_bronze(
    samples: Sequence[Sample], bronze_root: Path, vendor: str, *, strays: bool = False
) -> dict[str, Sample]:
    """Copy ``samples`` to their places under ``bronze_root``; return ``{key: sample}`` (see
    :func:`file_key`: the rel_path, with the data type for a file sampled under several).

    With ``strays`` also add one file the plugin cannot ingest in its own folder and one in a
    neighbouring folder, so a check can prove that ``discover`` neither ingests unknown files,
    ignores them silently, nor looks outside its folder.
    """
    placed: dict[str, Sample] = {}
    seen: set[tuple[str, str]] = set()
    for sample in samples:
        if not sample.path.is_file():
            raise SampleError(f"sample file {sample.path} does not exist or is not a file")
        rel = sample.bronze_rel_path(vendor)
        # One file may be sampled once per data type (its rows go to several tables).
        same_file = rel in placed and placed[rel].path == sample.path
        if (rel in placed and not same_file) or (rel, sample.data_type) in seen:
            raise SampleError(f"two samples want the same Bronze path {rel!r}; give one another")
        seen.add((rel, sample.data_type))
        if not same_file:
            target = bronze_root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample.path, target)
        placed[rel] = sample
    (bronze_root / vendor).mkdir(parents=True, exist_ok=True)
    if strays:
        (bronze_root / vendor / STRAY_FILE).write_bytes(b"not vendor data\n")
        decoy = bronze_root / DECOY_FOLDER / "trades.csv"
        decoy.parent.mkdir(parents=True, exist_ok=True)
        decoy.write_text("ts,price,qty\n1,2,3\n", encoding="utf-8")
    return keyed([(s.bronze_rel_path(vendor), s.data_type, s) for s in samples])


def _read_text_bytes(path: Path) -> tuple[bytes, bool]:
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        return gzip.decompress(raw), True
    return raw, False


def replicate_lines(source: Path, dest: Path, min_bytes: int, header_lines: int = 1) -> int:
    """Write ``dest``: the header lines of ``source`` then its data lines repeated until the
    uncompressed size reaches ``min_bytes``; gzip-compressed if ``source`` is. Returns the
    number of data lines written.

    This is how the suite makes a file large enough that reading it whole is measurably
    different from streaming it, without knowing anything about the vendor's format.
    """
    data, compressed = _read_text_bytes(source)
    lines = data.splitlines(keepends=True)
    head, body = lines[:header_lines], lines[header_lines:]
    if not body:
        raise SampleError(f"{source} has no data lines to repeat")
    if not body[-1].endswith(b"\n"):
        body[-1] += b"\n"
    block = b"".join(body)
    repeats = max(2, -(-min_bytes // len(block)))
    dest.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open(dest, "wb", compresslevel=1) if compressed else dest.open("wb")
    with opener as out:
        out.write(b"".join(head))
        for _ in range(repeats):
            out.write(block)
    return len(body) * repeats


def poison_tail(path: Path) -> None:
    """Append one unreadable line (NUL and non-UTF-8 bytes) at the very end of ``path``.

    For gzip the line is appended as a second gzip member, which every gzip reader
    decompresses as a continuation, so the file stays a valid stream whose last line is bad.
    A parser that streams yields its first batches before it reaches that line; one that reads
    the whole file first fails before yielding anything.
    """
    with path.open("rb") as fh:
        compressed = fh.read(2) == GZIP_MAGIC
    with path.open("ab") as out:
        out.write(gzip.compress(GARBAGE, mtime=0) if compressed else GARBAGE)


def corrupt_file(path: Path) -> None:
    """Corrupt ``path`` in place: cut it in the middle of a line and append garbage.

    A gzip file is cut inside its compressed stream (no decompressor can finish it); any
    other file is cut at 60 % of its bytes and gets a line of NUL and non-UTF-8 bytes. A
    parser must refuse both instead of landing partial or garbled rows.
    """
    raw = path.read_bytes()
    cut = max(1, len(raw) * 6 // 10)
    if raw[:2] == GZIP_MAGIC:
        path.write_bytes(raw[: max(cut, 12)])
        return
    if raw[cut - 1 : cut] == b"\n" and cut < len(raw):
        cut += 1  # land inside a line, not on a boundary
    path.write_bytes(raw[:cut] + b"\n" + GARBAGE)
