"""The venues behind the Databento datasets this plugin reads, as data.

The lake's ``exchange`` is the venue's ISO 10383 MIC in lower case (the first part of the
dataset name: ``GLBX.MDP3`` -> ``glbx``). CME Globex's trading day starts at 17:00 Chicago
time the evening before (``trading_day_roll``); Nasdaq and NYSE trade on the New York
calendar day. To support another dataset, add one line to :data:`DATASETS` (and its venue to
:data:`VENUES` if new).
"""

from __future__ import annotations

from pointline_core.models import ExchangeInfo

#: exchange -> (IANA timezone, asset class, trading-day roll, exchange-calendars code,
#: description). CMES is CME's equity-futures calendar: its sessions open the evening
#: before and are labelled with the day they close, like the 17:00 roll.
VENUES: dict[str, tuple[str, str, str, str, str]] = {
    "glbx": ("America/Chicago", "futures", "17:00", "CMES", "CME Globex (CME, CBOT, NYMEX, COMEX)"),
    "xnas": ("America/New_York", "equity", "", "XNAS", "Nasdaq"),
    "xnys": ("America/New_York", "equity", "", "XNYS", "New York Stock Exchange"),
}

#: Databento dataset -> exchange.
DATASETS: dict[str, str] = {
    "GLBX.MDP3": "glbx",
    "XNAS.ITCH": "xnas",
    "XNYS.PILLAR": "xnys",
}


def exchange_of(dataset: str) -> str | None:
    """The lake exchange of a dataset, or None if this plugin does not know the dataset."""
    return DATASETS.get(dataset)


def exchange_infos() -> list[ExchangeInfo]:
    """One ExchangeInfo per venue, sorted by name."""
    return [
        ExchangeInfo(name, tz, asset, desc, calendar=calendar, trading_day_roll=roll)
        for name, (tz, asset, roll, calendar, desc) in sorted(VENUES.items())
    ]
