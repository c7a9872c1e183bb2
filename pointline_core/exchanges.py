"""The exchange registry, built from every plugin's ``pointline_exchanges`` answer."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pointline_core.errors import ExchangeConflictError, PluginContractError, UnknownExchangeError
from pointline_core.models import ExchangeInfo


def check_timezone(name: str, where: str) -> None:
    """Raise ``PluginContractError`` unless ``name`` is an IANA timezone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PluginContractError(
            f"{where}: {name!r} is not an IANA timezone (use names like 'UTC' or 'Europe/London')"
        ) from None


_ROLL = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def roll_minutes(roll: str) -> int:
    """Minutes after local midnight of a ``trading_day_roll`` (``""`` -> 0: no roll)."""
    if not roll:
        return 0
    match = _ROLL.match(roll)
    if match is None:
        raise ValueError(roll)
    return int(match.group(1)) * 60 + int(match.group(2))


def check_roll(roll: str, where: str) -> None:
    """Raise ``PluginContractError`` unless ``roll`` is ``""`` or an ``HH:MM`` local time."""
    try:
        roll_minutes(roll)
    except (ValueError, TypeError):
        raise PluginContractError(
            f"{where}: trading_day_roll {roll!r} is not a local time 'HH:MM' (00:00-23:59), "
            "e.g. '17:00' for a trading day that starts at 17:00 the evening before; leave it "
            "empty for calendar-day trading dates"
        ) from None


class ExchangeRegistry:
    """Exchange name -> ExchangeInfo, remembering which plugin declared each one."""

    def __init__(self) -> None:
        self._info: dict[str, ExchangeInfo] = {}
        self._owner: dict[str, str] = {}

    def add(self, info: ExchangeInfo, owner: str) -> None:
        if not isinstance(info, ExchangeInfo):
            raise PluginContractError(
                f"plugin {owner!r}: pointline_exchanges returned {type(info).__name__}, "
                "expected ExchangeInfo"
            )
        check_timezone(info.timezone, f"plugin {owner!r}, exchange {info.name!r}")
        check_roll(info.trading_day_roll, f"plugin {owner!r}, exchange {info.name!r}")
        known = self._info.get(info.name)
        if known is not None and _identity(known) != _identity(info):
            raise ExchangeConflictError(
                f"exchange {info.name!r}: plugin {self._owner[info.name]!r} says "
                f"{_describe(known)} but plugin {owner!r} says {_describe(info)}; "
                "uninstall one of them or make them agree"
            )
        if known is None:
            self._info[info.name] = info
            self._owner[info.name] = owner

    def get(self, name: str) -> ExchangeInfo:
        try:
            return self._info[name]
        except KeyError:
            raise UnknownExchangeError(
                f"unknown exchange {name!r}: no installed plugin declares it"
            ) from None

    def owner(self, name: str) -> str:
        return self._owner[name]

    def __contains__(self, name: object) -> bool:
        return name in self._info

    def names(self) -> list[str]:
        return sorted(self._info)

    def timezones(self) -> dict[str, str]:
        return {n: i.timezone for n, i in sorted(self._info.items())}

    def day_rolls(self) -> dict[str, str]:
        """Exchange -> ``trading_day_roll``, only for exchanges that declare one."""
        return {n: i.trading_day_roll for n, i in sorted(self._info.items()) if i.trading_day_roll}


def _identity(info: ExchangeInfo) -> tuple[str, str, str, str | None]:
    """What two plugins declaring one exchange must agree on: it decides trading dates and
    sessions."""
    return info.timezone, info.asset_class, info.trading_day_roll, info.calendar


def _describe(info: ExchangeInfo) -> str:
    text = f"timezone={info.timezone!r}, asset_class={info.asset_class!r}"
    if info.trading_day_roll:
        text += f", trading_day_roll={info.trading_day_roll!r}"
    if info.calendar:
        text += f", calendar={info.calendar!r}"
    return text
