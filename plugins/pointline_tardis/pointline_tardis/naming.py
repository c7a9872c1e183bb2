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
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import attrs

from pointline_core.listing import list_vendor_files
from pointline_core.models import BronzeFile, Unrecognised
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


def parse_rel_path(parts: tuple[str, ...]) -> ParsedName:
    """Recognise a path relative to the vendor folder (its components), trying both
    layouts."""
    name = parts[-1]
    if name.startswith("."):
        raise NotATardisFile("hidden file")
    if not name.endswith(SUFFIXES):
        raise NotATardisFile("not a .csv.gz or .csv file")
    if _CLIENT_RE.match(name) is not None:
        return parse_client_name(name)
    if len(parts) == 6 and parts[1] in DATA_TYPES:
        return parse_dataset_path(parts)
    try:
        return parse_client_name(name)
    except NotATardisFile as client_error:
        raise NotATardisFile(
            f"{client_error}; nor is it a datasets-API path "
            "<exchange>/<data_type>/<YYYY>/<MM>/<DD>/<SYMBOL>.csv.gz"
        ) from None


def discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    """Every file under ``vendor_root`` as a BronzeFile or an Unrecognised, sorted by rel_path."""
    found: list[BronzeFile | Unrecognised] = []
    for item in list_vendor_files(vendor_root, bronze_root):
        if item.problem is not None:
            found.append(Unrecognised(VENDOR, item.rel_path, item.problem))
            continue
        try:
            parsed = parse_rel_path(item.parts)
        except NotATardisFile as exc:
            found.append(Unrecognised(VENDOR, item.rel_path, str(exc)))
            continue
        found.append(BronzeFile(VENDOR, parsed.data_type, item.path, item.rel_path, parsed.meta()))
    return iter(found)
