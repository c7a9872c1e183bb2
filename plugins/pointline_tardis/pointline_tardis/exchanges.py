"""Every Tardis.dev exchange id, as data.

The ids are the ones the format doc (``docs/vendors/tardis.md`` §4) lists. They appear
verbatim in download URLs, in client file names and in the ``exchange`` column of every row,
and they keep historical names after a venue rebranded (OKX is ``okex*``, HTX is ``huobi*``,
Gate is ``gate-io*``). All Tardis venues trade 24/7 and all Tardis times are UTC, so every
exchange's trading date is the UTC calendar date.

To support a venue Tardis adds later, append one line to :data:`EXCHANGES`.
"""

from __future__ import annotations

from pointline_core.models import ExchangeInfo

TIMEZONE = "UTC"
ASSET_CLASS = "crypto"
#: Crypto venues trade every day around the clock (the core's ``24/7`` calendar).
CALENDAR = "24/7"

#: Tardis exchange id -> venue / market description.
EXCHANGES: dict[str, str] = {
    "binance": "Binance spot",
    "binance-futures": "Binance USD-M futures and perpetuals",
    "binance-delivery": "Binance COIN-M futures and perpetuals",
    "binance-european-options": "Binance options",
    "binance-options": "Binance options (older, discontinued product)",
    "binance-us": "Binance.US spot",
    "bybit": "Bybit derivatives (linear and inverse)",
    "bybit-spot": "Bybit spot",
    "bybit-options": "Bybit options",
    "okex": "OKX spot",
    "okex-swap": "OKX perpetual swaps",
    "okex-futures": "OKX dated futures",
    "okex-options": "OKX options",
    "okex-spreads": "OKX spreads",
    "deribit": "Deribit futures, perpetuals and options",
    "bitmex": "BitMEX derivatives",
    "huobi": "Huobi/HTX spot",
    "huobi-dm": "Huobi/HTX dated futures",
    "huobi-dm-swap": "Huobi/HTX coin-margined perpetual swaps",
    "huobi-dm-linear-swap": "Huobi/HTX USDT-margined perpetual swaps",
    "huobi-dm-options": "Huobi/HTX options",
    "coinbase": "Coinbase spot",
    "coinbase-international": "Coinbase International derivatives",
    "kraken": "Kraken spot",
    "cryptofacilities": "Kraken Futures (Crypto Facilities)",
    "bitfinex": "Bitfinex spot",
    "bitfinex-derivatives": "Bitfinex derivatives",
    "gate-io": "Gate spot",
    "gate-io-futures": "Gate futures",
    "kucoin": "KuCoin spot",
    "kucoin-futures": "KuCoin futures",
    "bitget": "Bitget spot",
    "bitget-futures": "Bitget futures",
    "mexc": "MEXC spot",
    "mexc-futures": "MEXC futures",
    "crypto-com": "Crypto.com",
    "woo-x": "WOO X",
    "phemex": "Phemex",
    "delta": "Delta Exchange",
    "ascendex": "AscendEX",
    "bitstamp": "Bitstamp",
    "gemini": "Gemini",
    "poloniex": "Poloniex",
    "upbit": "Upbit",
    "bitflyer": "bitFlyer",
    "hitbtc": "HitBTC",
    "bitnomial": "Bitnomial",
    "blockchain-com": "Blockchain.com Exchange",
    "bullish": "Bullish",
    "okcoin": "OKCoin",
    "dydx": "dYdX (decentralised)",
    "dydx-v4": "dYdX v4 (decentralised)",
    "hyperliquid": "Hyperliquid (decentralised)",
    "lighter": "Lighter (decentralised)",
    "aster": "Aster spot (decentralised)",
    "aster-futures": "Aster futures (decentralised)",
    "ftx": "FTX (historical only, venue closed)",
    "ftx-us": "FTX US (historical only, venue closed)",
    "coinflex": "CoinFLEX (historical only)",
    "binance-jersey": "Binance Jersey (historical only)",
    "binance-dex": "Binance DEX (historical only)",
    "serum": "Serum (historical only)",
    "mango": "Mango Markets (historical only)",
    "star-atlas": "Star Atlas (historical only)",
    "polymarket": "Polymarket prediction market",
}


def exchange_ids() -> tuple[str, ...]:
    """All known Tardis exchange ids, sorted."""
    return tuple(sorted(EXCHANGES))


def is_known(exchange: str) -> bool:
    """Whether ``exchange`` is a Tardis exchange id this plugin declares."""
    return exchange in EXCHANGES


def exchange_infos() -> list[ExchangeInfo]:
    """One :class:`ExchangeInfo` per exchange id (UTC, asset class ``crypto``, calendar
    ``24/7``), sorted."""
    return [
        ExchangeInfo(name, TIMEZONE, ASSET_CLASS, EXCHANGES[name], CALENDAR)
        for name in exchange_ids()
    ]
