"""Quant360 naming: archive names, archive members, and the extracted Bronze layout.

Archives (case-sensitive, from the vendor's delivery description)::

    <stream>_<market>_<exch>_<YYYYMMDD>.7z      e.g. order_new_STK_SZ_20240102.7z

Members are ``<archive stem>/<6-digit code>.csv``, one per security. Each member is published
(gzip-compressed by the core) at::

    <bronze>/quant360/exchange=<sse|szse>/type=<stream>/date=<YYYY-MM-DD>/symbol=<code>/<code>.csv.gz

The symbol comes from the member's **basename** (the directory part is not relied upon);
``.csv`` is matched case-insensitively; other members (a readme) are ignored; a code that is
not six digits is rejected. The market segment (``STK`` / ``ConFI``) is not part of the Bronze
path; :func:`market_of` derives it from the code ranges when needed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import attrs

from pointline_core.errors import ArchiveNameError, MemberRejected
from pointline_core.models import ArchiveInfo, MemberTarget
from pointline_core.upstream.publish import is_temp_name

VENDOR = "quant360"
#: Every documented archive name; case-sensitive on purpose (``L2_new``, ``ConFI``).
ARCHIVE_RE = re.compile(r"^(order_new|tick_new|L2_new|L1_new)_(STK|ConFI)_(SH|SZ)_(\d{8})\.7z$")
#: Streams with a documented column layout (ingestible data types).
DATA_TYPES = ("order_new", "tick_new", "L2_new")
STREAMS = (*DATA_TYPES, "L1_new")
EXCHANGE_OF_CODE = {"SH": "sse", "SZ": "szse"}
CODE_OF_EXCHANGE = {v: k for k, v in EXCHANGE_OF_CODE.items()}
SYMBOL_RE = re.compile(r"^\d{6}$")
BRONZE_RE = re.compile(
    r"^exchange=(sse|szse)/type=([A-Za-z0-9_]+)/date=(\d{4}-\d{2}-\d{2})/"
    r"symbol=(\d{6})/(\d{6})\.csv\.gz$"
)


@attrs.frozen(slots=True)
class ArchiveName:
    """The fields of a Quant360 archive name."""

    stream: str
    market: str
    exchange_code: str
    date: dt.date

    @property
    def exchange(self) -> str:
        return EXCHANGE_OF_CODE[self.exchange_code]

    @property
    def stem(self) -> str:
        return f"{self.stream}_{self.market}_{self.exchange_code}_{self.date:%Y%m%d}"

    @property
    def file_name(self) -> str:
        return f"{self.stem}.7z"


def parse_archive_name(name: str) -> ArchiveName:
    """Split an archive file name; raise :class:`ArchiveNameError` saying which rule failed."""
    m = ARCHIVE_RE.match(name)
    if m is None:
        hint = ""
        if name.lower() != name and ARCHIVE_RE.match(name.replace(".7Z", ".7z")):
            hint = " (the extension must be lower-case .7z)"
        elif re.match(r"^(order_new|tick_new|l2_new|l1_new)_(stk|confi)_(sh|sz)_", name.lower()):
            hint = " (names are case-sensitive: order_new, tick_new, L2_new, STK, ConFI, SH, SZ)"
        raise ArchiveNameError(
            f"{name!r} is not a Quant360 archive name "
            f"<order_new|tick_new|L2_new|L1_new>_<STK|ConFI>_<SH|SZ>_<YYYYMMDD>.7z{hint}"
        )
    stream, market, exch, ymd = m.groups()
    try:
        date = dt.datetime.strptime(ymd, "%Y%m%d").date()
    except ValueError:
        raise ArchiveNameError(f"{name!r}: {ymd!r} is not a calendar date (YYYYMMDD)") from None
    return ArchiveName(stream, market, exch, date)


def recognize_archive(archive: Path) -> ArchiveInfo:
    """``pointline_recognize_archive``: the ArchiveInfo of a Quant360 archive path."""
    parsed = parse_archive_name(Path(archive).name)
    return ArchiveInfo(
        vendor=VENDOR,
        name=parsed.file_name,
        format="7z",
        fields=(
            ("date", parsed.date.isoformat()),
            ("exchange", parsed.exchange),
            ("market", parsed.market),
            ("stream", parsed.stream),
        ),
    )


def bronze_rel_path(exchange: str, stream: str, date: dt.date | str, symbol: str) -> str:
    """Path of one symbol-day file relative to ``<bronze>/quant360/``."""
    day = date.isoformat() if isinstance(date, dt.date) else date
    return f"exchange={exchange}/type={stream}/date={day}/symbol={symbol}/{symbol}.csv.gz"


def member_symbol(member: str) -> str | None:
    """The 6-digit code of a member path, None for a non-CSV member.

    Raises :class:`MemberRejected` for a malformed path or a code that is not six digits.
    """
    if not member or "\x00" in member or "\\" in member:
        raise MemberRejected(f"malformed member path {member!r}")
    parts = member.split("/")
    if member.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise MemberRejected(
            f"malformed member path {member!r}: expected <archive stem>/<code>.csv"
        )
    base = parts[-1]
    if not base.lower().endswith(".csv"):
        return None
    symbol = base[: -len(".csv")]
    if not SYMBOL_RE.match(symbol):
        raise MemberRejected(
            f"member {member!r}: {symbol!r} is not a 6-digit security code (e.g. 000001)"
        )
    return symbol


def member_target(archive: ArchiveInfo, member: str) -> MemberTarget | None:
    """``pointline_member_path``: where one member is published (see the module docstring)."""
    symbol = member_symbol(member)
    if symbol is None:
        return None
    f = archive.fields_dict()
    return MemberTarget(bronze_rel_path(f["exchange"], f["stream"], f["date"], symbol))


def market_of(exchange: str, symbol: str) -> str:
    """``ConFI`` for convertible-bond code ranges, else ``STK`` (doc §13.3)."""
    bond = ("110", "113", "118") if exchange == "sse" else ("123", "127", "128")
    return "ConFI" if symbol.startswith(bond) else "STK"


def instrument_kind(exchange: str, symbol: str) -> str:
    """``bond``, ``fund``, ``star`` (STAR Market share), ``index`` or ``stock`` from the code."""
    if market_of(exchange, symbol) == "ConFI":
        return "bond"
    if exchange == "sse":
        if symbol.startswith(("51", "56", "58")):
            return "fund"
        if symbol.startswith(("688", "689")):
            return "star"
        if symbol.startswith("000"):
            return "index"
        return "stock"
    if symbol.startswith("159"):
        return "fund"
    if symbol.startswith("399"):
        return "index"
    return "stock"


@attrs.frozen(slots=True)
class BronzePath:
    """The facts a Bronze path carries."""

    exchange: str
    stream: str
    date: str
    symbol: str


def parse_bronze_rel(rel: str) -> BronzePath | str:
    """Parse a path relative to ``<bronze>/quant360/``; return the reason when it is not a
    Quant360 Bronze file."""
    m = BRONZE_RE.match(rel)
    if m is None:
        return (
            "not a Quant360 Bronze file (expected exchange=<sse|szse>/type=<stream>/"
            "date=<YYYY-MM-DD>/symbol=<code>/<code>.csv.gz)"
        )
    exchange, stream, day, dir_symbol, file_symbol = m.groups()
    if dir_symbol != file_symbol:
        return f"file symbol {file_symbol} differs from folder symbol={dir_symbol}"
    if stream not in STREAMS:
        return f"unknown stream type {stream!r}; known: {', '.join(STREAMS)}"
    if stream not in DATA_TYPES:
        return f"stream {stream!r} has no documented column layout; not ingested"
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return f"date={day} is not a calendar date"
    return BronzePath(exchange, stream, day, file_symbol)


def is_transient(name: str) -> bool:
    """True for a publisher's temporary file (ignored by discovery)."""
    return is_temp_name(name)
