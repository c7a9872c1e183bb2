"""File-name and path rules: which files under ``<bronze>/tardis/`` are Tardis datasets.

Two layouts are recognised:

* the official clients' file names, at any depth under the vendor folder::

      <exchange>_<data_type>_<YYYY-MM-DD>_<symbol>.csv.gz      (or .csv)
      binance-futures_trades_2024-03-01_BTCUSDT.csv.gz
      deribit_incremental_book_L2_2024-03-01_BTC-PERPETUAL.csv.gz

* the datasets-API URL path, directly under the vendor folder::

      <exchange>/<data_type>/<YYYY>/<MM>/<DD>/<SYMBOL>.csv.gz   (or .csv)

Data types contain underscores and exchange ids contain hyphens, so names are split with the
list of known data types, never by counting separators. Every other file is reported as
unrecognised with the reason.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import attrs

from pointline_core.models import BronzeFile, Unrecognised, unlistable_folder_reason
from pointline_tardis.exchanges import is_known
from pointline_tardis.formats import DATA_TYPES

VENDOR = "tardis"
SUFFIXES = (".csv.gz", ".csv")

# Longest first so that e.g. "book_snapshot_25" is tried before "book_snapshot_5".
_TYPES_ALT = "|".join(re.escape(t) for t in sorted(DATA_TYPES, key=len, reverse=True))
_EXCHANGE = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_CLIENT_RE = re.compile(
    rf"^(?P<exchange>{_EXCHANGE})_(?P<data_type>{_TYPES_ALT})_"
    r"(?P<date>\d{4}-\d{2}-\d{2})_(?P<symbol>[^/]+?)(?P<suffix>\.csv\.gz|\.csv)$"
)
_SYMBOL_FILE_RE = re.compile(r"^(?P<symbol>.+?)(?P<suffix>\.csv\.gz|\.csv)$")


@attrs.frozen(slots=True)
class ParsedName:
    """What a Tardis file name or path says about the file."""

    exchange: str
    data_type: str
    date: dt.date
    symbol: str

    def meta(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            sorted(
                {
                    "date": self.date.isoformat(),
                    "exchange": self.exchange,
                    "symbol": self.symbol,
                }.items()
            )
        )


class NotATardisFile(ValueError):
    """A path under the vendor folder is not a Tardis dataset file; the message says why."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NotATardisFile(f"{text!r} is not a valid calendar date (YYYY-MM-DD)") from None


def _check_exchange(exchange: str) -> None:
    if not is_known(exchange):
        raise NotATardisFile(
            f"exchange id {exchange!r} is not a known Tardis exchange; if Tardis added it, "
            "add it to pointline_tardis/exchanges.py"
        )


def parse_client_name(name: str) -> ParsedName:
    """Parse ``<exchange>_<data_type>_<YYYY-MM-DD>_<symbol>.csv[.gz]``."""
    match = _CLIENT_RE.match(name)
    if match is None:
        raise NotATardisFile(
            "name does not follow <exchange>_<data_type>_<YYYY-MM-DD>_<symbol>.csv[.gz] "
            f"with a known data type ({', '.join(DATA_TYPES)})"
        )
    _check_exchange(match["exchange"])
    return ParsedName(match["exchange"], match["data_type"], _date(match["date"]), match["symbol"])


def parse_dataset_path(parts: tuple[str, ...]) -> ParsedName:
    """Parse ``(<exchange>, <data_type>, <YYYY>, <MM>, <DD>, <SYMBOL>.csv[.gz])``."""
    if len(parts) != 6:
        raise NotATardisFile(
            "not a datasets-API path <exchange>/<data_type>/<YYYY>/<MM>/<DD>/<SYMBOL>"
        )
    exchange, data_type, year, month, day, filename = parts
    if data_type not in DATA_TYPES:
        raise NotATardisFile(
            f"unknown data type {data_type!r} in datasets-API path; known: {', '.join(DATA_TYPES)}"
        )
    _check_exchange(exchange)
    if not (len(year) == 4 and len(month) == 2 and len(day) == 2):
        raise NotATardisFile(f"date folders {year}/{month}/{day} are not YYYY/MM/DD")
    date = _date(f"{year}-{month}-{day}")
    match = _SYMBOL_FILE_RE.match(filename)
    if match is None:
        raise NotATardisFile(f"file name {filename!r} does not end in .csv.gz or .csv")
    return ParsedName(exchange, data_type, date, unquote(match["symbol"]))


def parse_rel_path(rel: PurePosixPath) -> ParsedName:
    """Recognise a path relative to the vendor folder, trying both layouts."""
    name = rel.name
    if name.startswith("."):
        raise NotATardisFile("hidden file")
    if not name.endswith(SUFFIXES):
        raise NotATardisFile("not a .csv.gz or .csv file")
    if _CLIENT_RE.match(name) is not None:
        return parse_client_name(name)
    if len(rel.parts) == 6 and rel.parts[1] in DATA_TYPES:
        return parse_dataset_path(rel.parts)
    try:
        return parse_client_name(name)
    except NotATardisFile as client_error:
        raise NotATardisFile(
            f"{client_error}; nor is it a datasets-API path "
            "<exchange>/<data_type>/<YYYY>/<MM>/<DD>/<SYMBOL>.csv.gz"
        ) from None


def _walk(root: Path) -> Iterator[tuple[Path, str | None]]:
    """``(path, None)`` for each file under ``root``, following symlinked folders; a folder
    reached a second time (a symlink cycle, a second link to one folder) is not entered again
    and comes back as ``(folder, reason)``, so it is reported rather than silently skipped;
    so does a folder that cannot be listed (permission denied)."""
    seen: dict[str, Path] = {}
    unreadable: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unreadable.append):
        folder = Path(dirpath)
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            first = seen[real]
            where = first.relative_to(root).as_posix() if first != root else "."
            yield (
                folder,
                f"symbolic link to a folder already scanned as {where!r} (relative to the "
                "vendor folder); its files are listed there once, not again under this link",
            )
            continue
        seen[real] = folder
        dirnames.sort()
        for filename in sorted(filenames):
            yield folder / filename, None
    while unreadable:
        yield _unreadable_folder(unreadable.pop())


def _unreadable_folder(exc: OSError) -> tuple[Path, str]:
    """A folder ``os.walk`` could not list: reported, so its files are not silently missed."""
    return Path(str(exc.filename)), unlistable_folder_reason(exc)


def discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    """Every file under ``vendor_root`` as a BronzeFile or an Unrecognised, sorted by rel_path."""
    vendor_root = Path(vendor_root)
    bronze_root = Path(bronze_root)
    if not vendor_root.is_dir():
        return iter(())
    base = PurePosixPath(*Path(os.path.relpath(vendor_root, bronze_root)).parts)
    found: list[BronzeFile | Unrecognised] = []
    for path, skipped in _walk(vendor_root):
        rel = PurePosixPath(*path.relative_to(vendor_root).parts)
        rel_path = (base / rel).as_posix()
        if skipped is not None:
            found.append(Unrecognised(VENDOR, rel_path, skipped))
            continue
        if not path.exists():
            found.append(Unrecognised(VENDOR, rel_path, "broken symbolic link"))
            continue
        try:
            parsed = parse_rel_path(rel)
        except NotATardisFile as exc:
            found.append(Unrecognised(VENDOR, rel_path, str(exc)))
            continue
        found.append(BronzeFile(VENDOR, parsed.data_type, path.absolute(), rel_path, parsed.meta()))
    found.sort(key=lambda item: item.rel_path)
    return iter(found)
