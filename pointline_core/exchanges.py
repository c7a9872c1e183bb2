"""The exchange registry, built from every plugin's ``pointline_exchanges`` answer."""

from __future__ import annotations

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
        known = self._info.get(info.name)
        if known is not None and (known.timezone, known.asset_class) != (
            info.timezone,
            info.asset_class,
        ):
            raise ExchangeConflictError(
                f"exchange {info.name!r}: plugin {self._owner[info.name]!r} says "
                f"timezone={known.timezone!r}, asset_class={known.asset_class!r} but plugin "
                f"{owner!r} says timezone={info.timezone!r}, asset_class={info.asset_class!r}; "
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
