"""A small, deterministic, synthetic SSE + SZSE trading day in Quant360's delivery format.

    python -m pointline_quant360.sample OUT_DIR [--events N]

writes ``OUT_DIR/quant360/`` with five real solid LZMA2 ``.7z`` archives (SSE order and tick,
SZSE order, tick and L2) and ``OUT_DIR/quant360_listing.csv`` (code, exchange, list and delist
dates). The data is **synthetic** (made up, consistent with the documented formats), never real
market data. It follows the vendor format exactly: archive names
``<stream>_STK_<SH|SZ>_<YYYYMMDD>.7z``, members ``<archive stem>/<code>.csv``, the documented
headers, 17-digit China-time timestamps on a 10 ms grid, and the exchanges' code, sequence and
reference rules:

- a small order book per security is simulated through the opening call auction (adds, and
  cancels only before 09:20), the 09:25 uncross, continuous trading with passive orders,
  aggressive orders and cancels, the closing call (adds only) and the 15:00 uncross;
- SZSE: one ``ApplSeqNum`` sequence per channel shared by order and tick rows (gaps stand for
  other securities of the channel); trades name both orders; cancels are tick rows with
  ``ExecType=4``, price 0 and exactly one order reference; market orders (``OrdType=1``)
  cancel their unfilled rest at once;
- SSE: ``OrderNo`` ids, ``OrderIndex``/``TradeIndex`` per channel and ``BizIndex`` over both
  streams; aggressive orders that fill completely never appear in the order stream, partly
  filled ones appear after their trades with the rest as ``Balance``; cancels are ``D`` rows
  repeating the order's price; ``TradeBSFlag`` is ``N`` for auction prints.

Archives are byte-identical across runs: every member gets the same fixed timestamp.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs
import py7zr
from py7zr.py7zr import ArchiveTimestamp

DATE = dt.date(2024, 1, 2)
#: Fixed timestamp for every archive member (2024-01-02 16:00 China time).
MEMBER_TIME = 1704182400

SZSE_ORDER_HEADER = (
    "OrderQty,OrdType,TransactTime,ExpirationDays,Side,ApplSeqNum,Contactor,SendingTime,"
    "Price,ChannelNo,ExpirationType,ContactInfo,ConfirmID"
).split(",")
SZSE_TICK_HEADER = (
    "ApplSeqNum,BidApplSeqNum,SendingTime,Price,ChannelNo,Qty,OfferApplSeqNum,Amt,ExecType,"
    "TransactTime"
).split(",")
SSE_ORDER_HEADER = (
    "SecurityID,TransactTime,OrderNo,Price,Balance,OrderBSFlag,OrdType,OrderIndex,ChannelNo,"
    "BizIndex"
).split(",")
SSE_TICK_HEADER = (
    "SecurityID,TradeTime,TradePrice,TradeQty,TradeAmount,BuyNo,SellNo,TradeIndex,ChannelNo,"
    "TradeBSFlag,BizIndex"
).split(",")
L2_HEADER = (
    "SendingTime,MsgSeqNum,ImageStatus,QuotTime,PreClosePx,OpenPx,HighPx,LowPx,LastPx,ClosePx,"
    "Volume,Amount,AveragePx,BidPrice,BidOrderQty,BidNumOrders,BidOrders,OfferPrice,"
    "OfferOrderQty,OfferNumOrders,OfferOrders,NumTrades,TotalBidQty,WeightedAvgBidPx,"
    "TotalOfferQty,WeightedAvgOfferPx,Change1,Change2,TotalLongPosition,PeRatio1,PeRatio2,"
    "UpperLimitPx,LowerLimitPx,WeightedAvgPxChg,PreWeightedAvgPx,TradingPhaseCode,NoOrdersB1,"
    "NoOrdersS1"
).split(",")


@attrs.frozen
class Security:
    """A sample security: code, previous close in mills (0.001 CNY), tick in mills, channel."""

    code: str
    prev_close_mills: int
    tick_mills: int
    channel: int
    limit_pct: int = 10


SSE_SECURITIES = (
    Security("600000", 7050, 10, 5),
    Security("600519", 1685000, 10, 6),
    Security("688981", 52300, 10, 1, 20),
)
SZSE_SECURITIES = (
    Security("000001", 9410, 10, 2011),
    Security("300750", 158200, 10, 2021, 20),
    Security("159915", 1850, 1, 2022),
)


def _ms(h: int, m: int, s: int = 0, ms: int = 0) -> int:
    return ((h * 60 + m) * 60 + s) * 1000 + ms


def stamp(date: dt.date, ms_of_day: int) -> str:
    """17-digit ``YYYYMMDDHHMMSSmmm`` China-time text."""
    s, ms = divmod(ms_of_day, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{date:%Y%m%d}{h:02d}{m:02d}{s:02d}{ms:03d}"


def mills(value: int, decimals: int = 3) -> str:
    """0.001-CNY integer as decimal text with 3 decimals, or 2 (used only when exact)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 1000)
    if decimals == 2:
        return f"{sign}{whole}.{frac // 10:02d}"
    return f"{sign}{whole}.{frac:03d}"


# -- order book simulation --------------------------------------------------------------------


@attrs.define
class _Order:
    local: int
    side: str  # "B" or "S"
    price: int  # mills
    remaining: int


@attrs.define
class _Sim:
    """Events of one security, in time order, with security-local order ids."""

    sec: Security
    rng: random.Random
    events: list[tuple] = attrs.Factory(list)
    snapshot_times: list[int] = attrs.Factory(list)
    book: dict[int, _Order] = attrs.Factory(dict)
    next_local: int = 1
    last: int | None = None
    snapshots: list[tuple] = attrs.Factory(list)
    volume: int = 0
    amount: int = 0  # sum of price (0.001 CNY) x qty, i.e. in 0.001 CNY
    trades: int = 0
    high: int | None = None
    low: int | None = None
    open: int | None = None

    def new_id(self) -> int:
        self.next_local += 1
        return self.next_local - 1

    def best(self, side: str) -> _Order | None:
        orders = [o for o in self.book.values() if o.side == side]
        if not orders:
            return None
        if side == "B":
            return max(orders, key=lambda o: (o.price, -o.local))
        return min(orders, key=lambda o: (o.price, o.local))

    def ref_price(self) -> int:
        return self.last if self.last is not None else self.sec.prev_close_mills

    def qty(self) -> int:
        return 100 * self.rng.choice((1, 1, 2, 3, 5, 10))

    def passive(self, t: int, side: str) -> None:
        tick = self.sec.tick_mills
        bid, ask = self.best("B"), self.best("S")
        ref = self.ref_price()
        if side == "B":
            top = (ask.price - tick) if ask else ref
            price = min(top, ref) - tick * self.rng.randint(0, 4)
        else:
            bottom = (bid.price + tick) if bid else ref
            price = max(bottom, ref) + tick * self.rng.randint(0, 4)
        self._add(t, side, price, self.qty(), "2")

    def _add(self, t: int, side: str, price: int, qty: int, ord_type: str) -> _Order:
        order = _Order(self.new_id(), side, price, qty)
        self.events.append((t, "arrive", order.local, side, price, qty, ord_type))
        self.events.append((t, "rest", order.local, side, price, qty))
        self.book[order.local] = order
        return order

    def cancel(self, t: int) -> None:
        if not self.book:
            return
        order = self.book.pop(self.rng.choice(sorted(self.book)))
        self.events.append((t, "cancel", order.local, order.side, order.price, order.remaining))

    def _trade(self, t: int, buy: int, sell: int, price: int, qty: int, flag: str) -> None:
        self.events.append((t, "trade", buy, sell, price, qty, flag))
        self.last = price
        self.volume += qty
        self.amount += price * qty
        self.trades += 1
        self.high = price if self.high is None else max(self.high, price)
        self.low = price if self.low is None else min(self.low, price)
        if self.open is None:
            self.open = price

    def aggressive(self, t: int, side: str) -> None:
        opposite = "S" if side == "B" else "B"
        if self.best(opposite) is None:
            self.passive(t, side)
            return
        market = self.rng.random() < 0.15
        qty = self.qty()
        local = self.new_id()
        limit = self.best(opposite).price
        ord_type = "1" if market else "2"
        self.events.append((t, "arrive", local, side, None if market else limit, qty, ord_type))
        left = qty
        while left > 0:
            best = self.best(opposite)
            if best is None or (not market and best.price != limit):
                break
            fill = min(left, best.remaining)
            buy, sell = (local, best.local) if side == "B" else (best.local, local)
            self._trade(t, buy, sell, best.price, fill, side)
            best.remaining -= fill
            left -= fill
            if best.remaining == 0:
                del self.book[best.local]
            if market:
                break  # market orders here take the best level only and cancel the rest
        if left > 0 and market:
            self.events.append((t, "market_rest_cancel", local, side, left))
        elif left > 0:
            self.events.append((t, "rest", local, side, limit, left))
            self.book[local] = _Order(local, side, limit, left)

    def uncross(self, t: int) -> None:
        """Call-auction uncross: one price maximising the matched volume, flag N.

        Filling in price-time priority at that price leaves no crossed orders behind.
        """
        prices = sorted({o.price for o in self.book.values()})
        ref = self.ref_price()
        best_key, price = None, None
        for p in prices:
            demand = sum(o.remaining for o in self.book.values() if o.side == "B" and o.price >= p)
            supply = sum(o.remaining for o in self.book.values() if o.side == "S" and o.price <= p)
            key = (min(demand, supply), -abs(p - ref), -p)
            if best_key is None or key > best_key:
                best_key, price = key, p
        if price is None or best_key is None or best_key[0] == 0:
            return
        while True:
            bid, ask = self.best("B"), self.best("S")
            if bid is None or ask is None or bid.price < price or ask.price > price:
                return
            fill = min(bid.remaining, ask.remaining)
            self._trade(t, bid.local, ask.local, price, fill, "N")
            for o in (bid, ask):
                o.remaining -= fill
                if o.remaining == 0:
                    del self.book[o.local]

    def auction_orders(self, t0: int, t1: int, n: int, cancels: bool) -> None:
        ref = self.ref_price()
        tick = self.sec.tick_mills
        for t in sorted(self.rng.randrange(t0, t1, 10) for _ in range(n)):
            self.maybe_snapshot(t)
            if cancels and self.book and self.rng.random() < 0.2:
                self.cancel(t)
                continue
            side = self.rng.choice("BS")
            offset = tick * self.rng.randint(-3, 3)
            self._add(t, side, ref + offset, self.qty(), "2")

    def continuous(self, t0: int, t1: int, n: int) -> None:
        for t in sorted(self.rng.randrange(t0, t1, 10) for _ in range(n)):
            self.maybe_snapshot(t)
            r = self.rng.random()
            side = self.rng.choice("BS")
            if r < 0.45:
                self.passive(t, side)
            elif r < 0.75:
                self.aggressive(t, side)
            else:
                self.cancel(t)
        self.maybe_snapshot(t1 - 1)

    # -- L2 snapshots ------------------------------------------------------------------

    def maybe_snapshot(self, t: int) -> None:
        while self.snapshot_times and self.snapshot_times[0] <= t:
            self.snapshot(self.snapshot_times.pop(0))

    def levels(self, side: str) -> list[tuple[int, int, int, list[int]]]:
        by_price: dict[int, list[_Order]] = {}
        for o in self.book.values():
            if o.side == side:
                by_price.setdefault(o.price, []).append(o)
        prices = sorted(by_price, reverse=(side == "B"))[:10]
        return [
            (
                p,
                sum(o.remaining for o in by_price[p]),
                len(by_price[p]),
                [o.remaining for o in sorted(by_price[p], key=lambda o: o.local)],
            )
            for p in prices
        ]

    def snapshot(self, t: int) -> None:
        self.snapshots.append(
            (
                t,
                self.levels("B"),
                self.levels("S"),
                self.last,
                self.volume,
                self.amount,
                self.trades,
                self.open,
                self.high,
                self.low,
                sum(o.remaining for o in self.book.values() if o.side == "B"),
                sum(o.remaining for o in self.book.values() if o.side == "S"),
            )
        )


def simulate(sec: Security, date: dt.date, events: int, seed: int = 0) -> _Sim:
    """Simulate one security's day; ``events`` scales the number of continuous events."""
    rng = random.Random(f"{seed}:{date}:{sec.code}")
    sim = _Sim(sec, rng)
    sim.snapshot_times = [_ms(9, 15) + 60_000 * i for i in range(11)] + [
        t
        for lo, hi in ((_ms(9, 30), _ms(11, 30)), (_ms(13, 0), _ms(15, 0) + 1))
        for t in range(lo, hi, 300_000)
    ]
    n_auction = max(4, events // 10)
    sim.auction_orders(_ms(9, 15), _ms(9, 20), n_auction, cancels=True)
    sim.auction_orders(_ms(9, 20), _ms(9, 25), n_auction // 2, cancels=False)
    sim.maybe_snapshot(_ms(9, 25) - 1)
    sim.uncross(_ms(9, 25))
    sim.continuous(_ms(9, 30), _ms(11, 30), events // 2)
    sim.continuous(_ms(13, 0), _ms(14, 57), events - events // 2)
    sim.auction_orders(_ms(14, 57), _ms(15, 0), max(2, events // 20), cancels=False)
    sim.maybe_snapshot(_ms(15, 0) - 1)
    sim.uncross(_ms(15, 0))
    sim.maybe_snapshot(_ms(15, 0) + 1)
    return sim


# -- rendering per exchange ---------------------------------------------------------------------


def _csv(header: Sequence[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _merged(sims: Sequence[_Sim]) -> list[tuple[int, int, int, tuple]]:
    """All events of an exchange in time order (security order, then event order, on ties)."""
    merged = [(e[0], i, k, e) for i, sim in enumerate(sims) for k, e in enumerate(sim.events)]
    merged.sort(key=lambda x: (x[0], x[1], x[2]))
    return merged


def render_szse(
    sims: Sequence[_Sim], date: dt.date, rng: random.Random
) -> tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]:
    orders: dict[str, list[list[str]]] = {s.sec.code: [] for s in sims}
    ticks: dict[str, list[list[str]]] = {s.sec.code: [] for s in sims}
    seq: dict[int, int] = {}
    ids: dict[tuple[int, int], int] = {}
    for t, i, _k, e in _merged(sims):
        sec = sims[i].sec
        ch = sec.channel
        kind = e[1]
        if kind == "rest":
            continue
        seq[ch] = seq.get(ch, 0) + rng.randint(1, 6)
        n = seq[ch]
        ts, sending = stamp(date, t), stamp(date, t + 3 + rng.randint(0, 6))
        if kind == "arrive":
            _, _, local, side, price, qty, ord_type = e
            ids[(i, local)] = n
            px = "0.000" if price is None else mills(price)
            orders[sec.code].append(
                [
                    str(qty),
                    ord_type,
                    ts,
                    "0",
                    "1" if side == "B" else "2",
                    str(n),
                    "",
                    sending,
                    px,
                    str(ch),
                    "0",
                    "",
                    "",
                ]
            )
        elif kind == "trade":
            _, _, buy, sell, price, qty, _flag = e
            amt = mills(price * qty)
            ticks[sec.code].append(
                [
                    str(n),
                    str(ids[(i, buy)]),
                    sending,
                    mills(price),
                    str(ch),
                    str(qty),
                    str(ids[(i, sell)]),
                    amt,
                    "F",
                    ts,
                ]
            )
        else:  # cancel or the cancelled rest of a market order
            local, side = e[2], e[3]
            qty = e[5] if kind == "cancel" else e[4]
            ref = str(ids[(i, local)])
            bid, offer = (ref, "0") if side == "B" else ("0", ref)
            ticks[sec.code].append(
                [str(n), bid, sending, "0.000", str(ch), str(qty), offer, "0.000", "4", ts]
            )
    return orders, ticks


def render_sse(
    sims: Sequence[_Sim], date: dt.date, rng: random.Random
) -> tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]:
    orders: dict[str, list[list[str]]] = {s.sec.code: [] for s in sims}
    ticks: dict[str, list[list[str]]] = {s.sec.code: [] for s in sims}
    order_no = 1000
    order_index: dict[int, int] = {}
    trade_index: dict[int, int] = {}
    biz: dict[int, int] = {}
    ids: dict[tuple[int, int], int] = {}
    auction_ms = {_ms(9, 25): 940, _ms(15, 0): 990}  # SSE prints land a little after
    for t, i, _k, e in _merged(sims):
        sec = sims[i].sec
        ch = sec.channel
        kind = e[1]
        dec = 2 if sec.tick_mills % 10 == 0 else 3
        if kind == "arrive":
            order_no += rng.randint(1, 40)
            ids[(i, e[2])] = order_no
            continue
        if kind == "market_rest_cancel":
            continue  # on SSE an unfilled market rest is simply never published
        biz[ch] = biz.get(ch, 0) + rng.randint(1, 6)
        if kind == "trade":
            _, _, buy, sell, price, qty, flag = e
            trade_index[ch] = trade_index.get(ch, 0) + rng.randint(1, 4)
            ticks[sec.code].append(
                [
                    sec.code,
                    stamp(date, t + auction_ms.get(t, 0)),
                    mills(price, dec),
                    str(qty),
                    mills(price * qty, 2) if (price * qty) % 10 == 0 else mills(price * qty),
                    str(ids[(i, buy)]),
                    str(ids[(i, sell)]),
                    str(trade_index[ch]),
                    str(ch),
                    flag,
                    str(biz[ch]),
                ]
            )
            continue
        order_index[ch] = order_index.get(ch, 0) + rng.randint(1, 4)
        local, side, price, qty = e[2], e[3], e[4], e[5]
        orders[sec.code].append(
            [
                sec.code,
                stamp(date, t),
                str(ids[(i, local)]),
                mills(price, dec),
                str(qty),
                side,
                "A" if kind == "rest" else "D",
                str(order_index[ch]),
                str(ch),
                str(biz[ch]),
            ]
        )
    return orders, ticks


def _arr(values: Sequence[int], fmt: object = str, pad: int = 10) -> str:
    items = [fmt(v) for v in values]  # type: ignore[operator]
    zero = fmt(0)  # type: ignore[operator]
    items += [zero] * (pad - len(items))
    return "[" + ",".join(items) + "]"


def render_l2(sim: _Sim, date: dt.date) -> list[list[str]]:
    sec = sim.sec
    tick = sec.tick_mills
    limit = sec.prev_close_mills * sec.limit_pct // 100 // tick * tick
    upper, lower = sec.prev_close_mills + limit, sec.prev_close_mills - limit
    rows = []
    for n, snap in enumerate(sim.snapshots):
        t, bids, asks, last, vol, amount, trades, opn, high, low, tbid, task = snap
        hms = t % 86_400_000
        phase = (
            "O0"
            if hms < _ms(9, 25)
            else "B0"
            if hms < _ms(9, 30)
            else "T0"
            if hms < _ms(11, 30)
            else "B0"
            if hms < _ms(13, 0)
            else "T0"
            if hms < _ms(14, 57)
            else "C0"
            if hms < _ms(15, 0)
            else "E0"
        )
        avg = (amount // vol) if vol else 0
        closing = phase == "E0"
        rows.append(
            [
                stamp(date, t + 20),
                str(100 + n),
                "1",
                stamp(date, t),
                mills(sec.prev_close_mills),
                mills(opn or 0),
                mills(high or 0),
                mills(low or 0),
                mills(last or 0),
                mills(last or 0) if closing else "0.000",
                str(vol),
                mills(amount),
                mills(avg),
                _arr([b[0] for b in bids], mills),
                _arr([b[1] for b in bids]),
                _arr([b[2] for b in bids]),
                _arr(bids[0][3][:50] if bids else [], str, 0),
                _arr([a[0] for a in asks], mills),
                _arr([a[1] for a in asks]),
                _arr([a[2] for a in asks]),
                _arr(asks[0][3][:50] if asks else [], str, 0),
                str(trades),
                str(tbid),
                "0.000",
                str(task),
                "0.000",
                mills(last - sec.prev_close_mills) if last else "0.000",
                "0.000",
                "0",
                "0.00",
                "0.00",
                mills(upper),
                mills(lower),
                "0.000",
                "0.000",
                phase,
                str(bids[0][2] if bids else 0),
                str(asks[0][2] if asks else 0),
            ]
        )
    return rows


# -- archives -----------------------------------------------------------------------------------


class _FixedTimeSevenZip(py7zr.SevenZipFile):
    """py7zr writer whose members all carry :data:`MEMBER_TIME` (so archives are byte-stable)."""

    @staticmethod
    def _make_file_info_from_name(bio, size, arcname):  # noqa: ANN001, ANN205 - py7zr's API
        info = py7zr.SevenZipFile._make_file_info_from_name(bio, size, arcname)
        fixed = ArchiveTimestamp.from_datetime(MEMBER_TIME)
        info["creationtime"] = info["lastwritetime"] = info["lastaccesstime"] = fixed
        return info


def write_archive(path: Path, members: dict[str, bytes], preset: int = 6) -> Path:
    """Write a solid LZMA2 ``.7z`` with ``members`` (name -> bytes), in the given order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _FixedTimeSevenZip(path, "w", filters=[{"id": py7zr.FILTER_LZMA2, "preset": preset}]) as z:
        for name, data in members.items():
            z.writestr(data, name)
    return path


def build_day(
    date: dt.date = DATE,
    sse: Sequence[Security] = SSE_SECURITIES,
    szse: Sequence[Security] = SZSE_SECURITIES,
    events: int = 160,
    seed: int = 0,
) -> dict[str, dict[str, bytes]]:
    """Archive file name -> {member name -> CSV bytes} for one day (deterministic)."""
    ymd = f"{date:%Y%m%d}"
    out: dict[str, dict[str, bytes]] = {}
    if sse:
        sims = [simulate(s, date, events, seed) for s in sse]
        orders, ticks = render_sse(sims, date, random.Random(f"{seed}:{date}:sse"))
        for stream, header, rows in (
            ("order_new", SSE_ORDER_HEADER, orders),
            ("tick_new", SSE_TICK_HEADER, ticks),
        ):
            stem = f"{stream}_STK_SH_{ymd}"
            out[f"{stem}.7z"] = {f"{stem}/{c}.csv": _csv(header, r) for c, r in rows.items()}
    if szse:
        sims = [simulate(s, date, events, seed) for s in szse]
        orders, ticks = render_szse(sims, date, random.Random(f"{seed}:{date}:szse"))
        for stream, header, rows in (
            ("order_new", SZSE_ORDER_HEADER, orders),
            ("tick_new", SZSE_TICK_HEADER, ticks),
        ):
            stem = f"{stream}_STK_SZ_{ymd}"
            out[f"{stem}.7z"] = {f"{stem}/{c}.csv": _csv(header, r) for c, r in rows.items()}
        stem = f"L2_new_STK_SZ_{ymd}"
        out[f"{stem}.7z"] = {
            f"{stem}/{sim.sec.code}.csv": _csv(L2_HEADER, render_l2(sim, date)) for sim in sims
        }
    return out


def listing_csv(sse: Sequence[Security], szse: Sequence[Security]) -> bytes:
    rows = [[s.code, "SH", "20000101", ""] for s in sse]
    rows += [[s.code, "SZ", "20000101", ""] for s in szse]
    return _csv(["code", "exchange", "list_date", "delist_date"], rows)


def write_sample(out_dir: Path, events: int = 160, date: dt.date = DATE) -> list[Path]:
    """Write the sample archives and listing file; return the paths written."""
    out_dir = Path(out_dir)
    written = []
    for name, members in build_day(date, events=events).items():
        written.append(write_archive(out_dir / "quant360" / name, members))
    listing = out_dir / "quant360_listing.csv"
    listing.write_bytes(listing_csv(SSE_SECURITIES, SZSE_SECURITIES))
    written.append(listing)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pointline_quant360.sample",
        description="Write a small synthetic SSE+SZSE Quant360 day (.7z archives + listing).",
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--events", type=int, default=160, help="continuous events per security")
    args = parser.parse_args(argv)
    for path in write_sample(args.out_dir, args.events):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
