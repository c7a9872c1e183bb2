"""Deterministic synthetic Databento day for the demo and the tests.

    python -m pointline_databento.sample OUT_DIR

writes ``OUT_DIR/databento/...`` (the Bronze layouts :mod:`.naming` discovers) and
``OUT_DIR/*.definition.dbn.zst`` (instrument definitions for ``pointline symbols import FILE
LAKE --vendor databento``, one file per dataset, next to the vendor folder like the other
plugins' instrument files).

The day is Monday 2020-12-28. CME Globex (``GLBX.MDP3``, batch-download names): E-mini S&P
500 and Nasdaq-100 March 2021 futures (ESH1, NQH1) with trades, tbbo, mbo (add, modify,
cancel, trade, fill, clear), mbp-1, bbo-1s, mbp-10 and ohlcv-1m; the session opens Sunday
17:00 Chicago time, and the first trades of the file fall on Sunday evening (trading date
Monday). Two ESH1 trades share one microsecond (sub-µs order kept by ns time and sequence).
Nasdaq (``XNAS.ITCH``, dataset/schema/date folders): MSFT trades (zstd) and mbp-1 (plain
``.dbn``). Records are encoded with ``databento-dbn``, values from integer arithmetic, so the
bytes are identical on every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import databento_dbn as dbn

from pointline_databento.encode import metadata, write_dbn
from pointline_databento.formats import UNDEF_PRICE

DAY = dt.date(2020, 12, 28)
NEXT = dt.date(2020, 12, 29)
DAY_NS = 1_609_113_600_000_000_000  # 2020-12-28T00:00:00Z
HOUR = 3_600_000_000_000
#: Sunday 2020-12-27 23:30 UTC = 17:30 Chicago: CME trading date 2020-12-28.
SUNDAY_EVENING_NS = DAY_NS - HOUR // 2
START_NS = DAY_NS - HOUR  # the file range starts at the Sunday open (23:00 UTC)
END_NS = DAY_NS + 24 * HOUR
GLBX, XNAS = "GLBX.MDP3", "XNAS.ITCH"
GLBX_PUB, XNAS_PUB = 1, 2
ES, NQ, MSFT = 5482, 5579, 6819
SYMBOLS = {ES: "ESH1", NQ: "NQH1", MSFT: "MSFT"}
BASE_PX = {ES: 3_702_250_000_000, NQ: 12_800_000_000_000, MSFT: 224_500_000_000}
TICK = {ES: 250_000_000, NQ: 250_000_000, MSFT: 10_000_000}
#: ESH1 and NQH1 expire 2021-03-19 13:30 UTC; listed 2019-12-20 (activation).
EXPIRATION_NS = 1_616_160_600_000_000_000
ACTIVATION_NS = 1_576_850_400_000_000_000


def _mappings(ids: tuple[int, ...]) -> dict[str, list[tuple[dt.date, dt.date, int]]]:
    return {SYMBOLS[i]: [(DAY, NEXT, i)] for i in ids}


def _ts(k: int, pub: int = GLBX_PUB) -> int:
    """Event time of the k-th market record: CME's Sunday evening first, then Monday 13:00
    UTC on; Nasdaq from its 14:30 UTC open."""
    if pub == XNAS_PUB:
        return DAY_NS + 14 * HOUR + HOUR // 2 + k * 1_000_003_017
    if k == 0:
        return SUNDAY_EVENING_NS + 100
    return DAY_NS + 13 * HOUR + k * 1_000_003_017


def _side(k: int) -> dbn.Side:
    return (dbn.Side.BID, dbn.Side.ASK, dbn.Side.NONE)[k % 3]


def _trades(ids: tuple[int, ...], n: int, pub: int) -> list[dbn.TradeMsg]:
    out = []
    for k in range(n):
        iid = ids[k % len(ids)]
        ts = _ts(k, pub)
        out.append(
            dbn.TradeMsg(
                pub, iid, ts, BASE_PX[iid] + (k % 5) * TICK[iid], 1 + k % 7, dbn.Action.TRADE,
                _side(k), 0, ts + 250_123, flags=128, sequence=1_000 + k,
            )
        )  # fmt: skip
    if ES in ids:
        # Two ESH1 trades 400 ns apart inside one microsecond: the µs columns tie, ns and
        # sequence keep their order.
        ts = DAY_NS + 14 * HOUR + 1_200
        for j, sub in enumerate((0, 400)):
            out.append(
                dbn.TradeMsg(
                    pub, ES, ts + sub, BASE_PX[ES] + j * TICK[ES], 2 + j, dbn.Action.TRADE,
                    dbn.Side.BID, 0, ts + sub + 90_000, flags=128, sequence=5_000 + j,
                )
            )  # fmt: skip
    return sorted(out, key=lambda r: (r.ts_recv, r.sequence))


def _pair(iid: int, k: int, undef_ask: bool = False) -> dbn.BidAskPair:
    bid = BASE_PX[iid] + (k % 3) * TICK[iid]
    return dbn.BidAskPair(
        bid_px=bid,
        ask_px=UNDEF_PRICE if undef_ask else bid + TICK[iid],
        bid_sz=3 + k % 4,
        ask_sz=0 if undef_ask else 5 + k % 3,
        bid_ct=1 + k % 2,
        ask_ct=0 if undef_ask else 2,
    )


def _mbp1(ids: tuple[int, ...], n: int, pub: int) -> list[dbn.MBP1Msg]:
    return [
        dbn.MBP1Msg(
            pub, ids[k % len(ids)], _ts(k, pub), BASE_PX[ids[k % len(ids)]], 1, dbn.Action.ADD,
            _side(k), 0, _ts(k, pub) + 99_001, flags=128, sequence=2_000 + k,
            levels=_pair(ids[k % len(ids)], k, undef_ask=k == 3),
        )
        for k in range(n)
    ]  # fmt: skip


def _tbbo(n: int) -> list[dbn.MBP1Msg]:
    return [
        dbn.MBP1Msg(
            GLBX_PUB, ES, _ts(k), BASE_PX[ES] + TICK[ES], 2 + k, dbn.Action.TRADE, _side(k), 0,
            _ts(k) + 70_000, flags=128, sequence=3_000 + k, levels=_pair(ES, k),
        )
        for k in range(n)
    ]  # fmt: skip


def _bbo(n: int) -> list[dbn.BBOMsg]:
    return [
        dbn.BBOMsg(
            dbn.RType.BBO_1S, GLBX_PUB, ES, _ts(k), BASE_PX[ES], 1, _side(k),
            DAY_NS + 13 * HOUR + (k + 1) * 1_000_000_000, flags=128, sequence=4_000 + k,
            levels=_pair(ES, k),
        )
        for k in range(n)
    ]  # fmt: skip


def _mbp10(n: int) -> list[dbn.MBP10Msg]:
    out = []
    for k in range(n):
        levels = []
        for lvl in range(10):
            empty = lvl >= 7 + k  # thin book: the deepest levels are empty (UNDEF, size 0)
            bid = BASE_PX[ES] - lvl * TICK[ES]
            levels.append(
                dbn.BidAskPair(
                    bid_px=UNDEF_PRICE if empty else bid,
                    ask_px=UNDEF_PRICE if empty else bid + (lvl + 1) * TICK[ES],
                    bid_sz=0 if empty else 10 + lvl,
                    ask_sz=0 if empty else 11 + lvl,
                    bid_ct=0 if empty else 1,
                    ask_ct=0 if empty else 1,
                )
            )
        out.append(
            dbn.MBP10Msg(
                GLBX_PUB, ES, _ts(k), BASE_PX[ES], 1, dbn.Action.ADD, _side(k), 0,
                _ts(k) + 50_000, flags=128, sequence=6_000 + k, levels=levels,
            )
        )  # fmt: skip
    return out


#: (action, side, order_id, price offset in ticks, size) of the mbo sample, in feed order.
_MBO_EVENTS = (
    (dbn.Action.CLEAR, dbn.Side.NONE, 0, None, 0),
    (dbn.Action.ADD, dbn.Side.BID, 101, 0, 5),
    (dbn.Action.ADD, dbn.Side.ASK, 102, 1, 4),
    (dbn.Action.ADD, dbn.Side.BID, 103, -1, 2),
    (dbn.Action.MODIFY, dbn.Side.BID, 103, 0, 3),
    (dbn.Action.CANCEL, dbn.Side.ASK, 102, 1, 4),
    (dbn.Action.ADD, dbn.Side.ASK, 104, 1, 6),
    (dbn.Action.TRADE, dbn.Side.ASK, 0, 0, 2),
    (dbn.Action.FILL, dbn.Side.BID, 101, 0, 2),
    (dbn.Action.CANCEL, dbn.Side.BID, 101, 0, 3),
)


def _mbo() -> list[dbn.MBOMsg]:
    out = []
    for k, (action, side, oid, ticks, size) in enumerate(_MBO_EVENTS):
        px = UNDEF_PRICE if ticks is None else BASE_PX[ES] + ticks * TICK[ES]
        ts = _ts(k + 1) // 1_000 * 1_000 + k % 2 * 500  # pairs share one µs
        out.append(
            dbn.MBOMsg(
                GLBX_PUB, ES, ts, oid, px, size, action, side, ts + 80_000,
                flags=128, channel_id=1, sequence=7_000 + k,
            )
        )  # fmt: skip
    return out


def _ohlcv(n: int) -> list[dbn.OHLCVMsg]:
    minute = 60_000_000_000
    out = []
    for k in range(n):
        o = BASE_PX[ES] + (k % 3) * TICK[ES]
        out.append(
            dbn.OHLCVMsg(
                dbn.RType.OHLCV_1M, GLBX_PUB, ES, DAY_NS + 13 * HOUR + k * minute,
                o, o + 2 * TICK[ES], o - TICK[ES], o + TICK[ES], 100 + k,
            )
        )  # fmt: skip
    return out


def _definition(iid: int, pub: int, ts: int, future: bool) -> dbn.InstrumentDefMsg:
    return dbn.InstrumentDefMsg(
        pub, iid, ts, ts + 1_000, TICK[iid], 1_000_000_000, SYMBOLS[iid],
        SYMBOLS[iid][:2] if future else "MSFT", "FUT" if future else "STK",
        dbn.InstrumentClass.FUTURE if future else dbn.InstrumentClass.STOCK,
        dbn.SecurityUpdateAction.ADD,
        expiration=EXPIRATION_NS if future else 2**64 - 1,
        activation=ACTIVATION_NS if future else 2**64 - 1,
        contract_multiplier=50 if iid == ES else 20 if iid == NQ else None,
        min_trade_vol=1, currency="USD",
    )  # fmt: skip


def _files(root: Path) -> list[tuple[Path, object, list]]:
    """(path, metadata, records) of every sample file (Bronze and definitions)."""
    cme = (ES, NQ)
    glbx = root / "databento"
    xnas = root / "databento" / XNAS

    def meta(dataset: str, schema: str, ids: tuple[int, ...]) -> object:
        return metadata(dataset, schema, START_NS, END_NS, _mappings(ids))

    name = "glbx-mdp3-20201228"
    defs = root
    return [
        (glbx / f"{name}.trades.dbn.zst", meta(GLBX, "trades", cme), _trades(cme, 24, GLBX_PUB)),
        (glbx / f"{name}.tbbo.dbn.zst", meta(GLBX, "tbbo", (ES,)), _tbbo(6)),
        (glbx / f"{name}.mbo.dbn.zst", meta(GLBX, "mbo", (ES,)), _mbo()),
        (glbx / f"{name}.mbp-1.dbn.zst", meta(GLBX, "mbp-1", cme), _mbp1(cme, 8, GLBX_PUB)),
        (glbx / f"{name}.bbo-1s.dbn.zst", meta(GLBX, "bbo-1s", (ES,)), _bbo(4)),
        (glbx / f"{name}.mbp-10.dbn.zst", meta(GLBX, "mbp-10", (ES,)), _mbp10(3)),
        (glbx / f"{name}.ohlcv-1m.dbn.zst", meta(GLBX, "ohlcv-1m", (ES,)), _ohlcv(5)),
        (xnas / "trades" / "2020-12-28.dbn.zst", meta(XNAS, "trades", (MSFT,)),
         _trades((MSFT,), 10, XNAS_PUB)),
        (xnas / "mbp-1" / "2020-12-28.dbn", meta(XNAS, "mbp-1", (MSFT,)),
         _mbp1((MSFT,), 5, XNAS_PUB)),
        (defs / f"{name}.definition.dbn.zst", meta(GLBX, "definition", cme),
         [_definition(ES, GLBX_PUB, DAY_NS - 2 * HOUR, True),
          _definition(NQ, GLBX_PUB, DAY_NS - 2 * HOUR, True)]),
        (defs / "xnas-itch-20201228.definition.dbn.zst", meta(XNAS, "definition", (MSFT,)),
         [_definition(MSFT, XNAS_PUB, DAY_NS + 7 * HOUR, False)]),
    ]  # fmt: skip


def definition_files(root: Path) -> list[Path]:
    """The sample's definition files (written by :func:`write_sample`)."""
    return sorted(Path(root).glob("*.definition.dbn.zst"))


def write_sample(root: Path) -> list[Path]:
    """Write the sample day under ``root``; returns the paths written."""
    return [write_dbn(path, meta, records) for path, meta, records in _files(Path(root))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pointline_databento.sample",
        description="Write a deterministic synthetic Databento day (Bronze DBN files + "
        "instrument definitions).",
    )
    parser.add_argument(
        "out_dir",
        type=Path,
        help="writes OUT_DIR/databento/... and OUT_DIR/*.definition.dbn.zst",
    )
    args = parser.parse_args(argv)
    for path in write_sample(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
