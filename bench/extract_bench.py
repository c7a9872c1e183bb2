"""Extraction benchmark: one-pass vs per-member extraction of a solid 7z archive.

    python bench/extract_bench.py [--symbols 300] [--rows 5000] [--sample 12] [--repeat 3]
                                  [--levels] [--json]

Builds a solid LZMA2 archive of ``--symbols`` per-symbol CSV members (order-stream shaped,
``--rows`` rows each) in a temp folder, then times:

- one pass with py7zr (``extractall``, what the upstream runner does without a 7-Zip program);
- one pass with the 7-Zip command line, when ``7zz``/``7z``/``7za`` is on PATH;
- per-member extraction (open the archive and extract one member, for each member). Solid
  blocks make this quadratic, so only ``--sample`` members spread evenly through the archive
  are timed and the total is extrapolated (mean x members);
- bare ``7zz x`` of the archive into a folder (a whole process: the reference point);
- the whole ``extract()`` runner (one pass + gzip + atomic publish + ledger) with each back
  end, each into a fresh Bronze folder, and its ratio to bare ``7zz x`` and to the same back
  end's one pass. One-pass, bare and runner times are the best of ``--repeat`` runs, after a
  1 GiB memory warm-up of this process (first-touch page faults are not charged to the first
  timed step);
- with ``--levels``: gzip size and time per level, stdlib zlib vs ISA-L (:mod:`isal`), over
  the archive's members on one thread (how the publishing level was chosen);
- a rerun of the runner over the extracted archive, skipping it by (name, size, mtime) and
  with ``rehash=True``, and sha256 throughput (what re-hashing a backlog costs per run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import polars as pl
import py7zr
from isal import isal_zlib

from pointline_core.plugins import Plugins
from pointline_core.upstream.archive import extract_archive, find_7z_cli
from pointline_core.upstream.runner import extract

HEADER = (
    "OrderQty,OrdType,TransactTime,ExpirationDays,Side,ApplSeqNum,Contactor,SendingTime,"
    "Price,ChannelNo,ExpirationType,ContactInfo,ConfirmID"
)


def stamps(rows: int, step: int, shift: int) -> tuple[pl.Series, pl.Expr]:
    """Row numbers and 17-digit China-time stamps of 2024-01-02 spread over the trading day
    (deterministic: row ``n`` at ``(n * step + shift)`` ms past 09:30, wrapped, 10 ms grid)."""
    n = pl.int_range(0, rows, eager=True)
    ms = 34_200_000 + (n * step + shift) % 19_800_000 // 10 * 10
    hhmmss = (
        ms // 3_600_000 * 10_000 + ms // 60_000 % 60 * 100 + ms // 1000 % 60
    ) * 1000 + ms % 1000
    return n, pl.lit("20240102") + hhmmss.cast(pl.String).str.zfill(9)


def member_csv(i: int, rows: int) -> bytes:
    """A deterministic order-stream-shaped CSV (not real data)."""
    n, ts = stamps(rows, 7_919, i * 13)
    frame = pl.DataFrame({"n": n}).select(
        ((pl.col("n") * 37 + i) % 20 * 100 + 100).alias("OrderQty"),
        pl.lit("2").alias("OrdType"),
        ts.alias("TransactTime"),
        pl.lit("0").alias("ExpirationDays"),
        ((pl.col("n") + i) % 2 + 1).alias("Side"),
        (pl.col("n") * 11 + i).alias("ApplSeqNum"),
        pl.lit("").alias("Contactor"),
        ts.alias("SendingTime"),
        (pl.lit(9.41) + ((pl.col("n") * 13 + i) % 40 - 20) / 100).round(2).alias("Price"),
        pl.lit(2011).alias("ChannelNo"),
        pl.lit("0").alias("ExpirationType"),
        pl.lit("").alias("ContactInfo"),
        pl.lit("").alias("ConfirmID"),
    )
    return frame.write_csv(float_precision=3).encode()


def build(path: Path, symbols: int, rows: int) -> tuple[list[str], int]:
    """A solid LZMA2 (level 6) archive; written by the 7-Zip program when there is one
    (several times faster than py7zr's writer), else by py7zr."""
    stem = path.name[:-3]
    names = []
    raw = 0
    program = find_7z_cli()
    if program:
        staging = path.parent.parent.parent / "staging"
        for i in range(symbols):
            name = f"{stem}/{i:06d}.csv"
            data = member_csv(i, rows)
            raw += len(data)
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
            names.append(name)
        subprocess.run(
            [program, "a", "-t7z", "-m0=lzma2", "-mx=6", "-ms=on", "-bd", str(path), stem],
            cwd=staging,
            check=True,
            capture_output=True,
        )
        shutil.rmtree(staging)
        return names, raw
    with py7zr.SevenZipFile(path, "w", filters=[{"id": py7zr.FILTER_LZMA2, "preset": 6}]) as z:
        for i in range(symbols):
            name = f"{stem}/{i:06d}.csv"
            data = member_csv(i, rows)
            raw += len(data)
            z.writestr(data, name)
            names.append(name)
    return names, raw


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bare_cli(program: str, archive: Path, dest: Path) -> None:
    """``7zz x`` alone, as a user would run it."""
    subprocess.run(
        [program, "x", "-y", "-bd", f"-o{dest}", str(archive)], check=True, capture_output=True
    )


def best(fn, repeat: int) -> float:
    return min(timed(fn) for _ in range(repeat))


def level_table(folder: Path) -> list[dict[str, object]]:
    """Size and single-thread time of gzip (zlib) and ISA-L levels over every member."""
    data = [p.read_bytes() for p in sorted(folder.rglob("*.csv"))]
    raw = sum(map(len, data))
    rows = []
    for lib, module, levels in (("zlib", zlib, (1, 3, 6)), ("isal", isal_zlib, (0, 1, 2, 3))):
        for level in levels:
            out = 0
            t0 = time.perf_counter()
            for d in data:
                enc = module.compressobj(level, module.DEFLATED, 31)
                out += len(enc.compress(d)) + len(enc.flush())
            dt = time.perf_counter() - t0
            rows.append(
                {
                    "lib": lib,
                    "level": level,
                    "s": round(dt, 3),
                    "mb_per_s": round(raw / dt / 1e6),
                    "gz_mb": round(out / 1e6, 2),
                    "ratio": round(raw / out, 2),
                }
            )
    return rows


def per_member_py7zr(archive: Path, name: str, dest: Path) -> None:
    with py7zr.SevenZipFile(archive, "r") as z:
        z.extract(path=dest, targets=[name])


def per_member_cli(program: str, archive: Path, name: str, dest: Path) -> None:
    subprocess.run(
        [program, "x", "-y", "-bd", f"-o{dest}", str(archive), name],
        check=True,
        capture_output=True,
    )


def _plugins() -> Plugins:
    from pointline_core import PLUGIN_API_VERSION, hookimpl
    from pointline_core.models import ArchiveInfo, ExchangeInfo, MemberTarget, VendorInfo

    class Bench:
        @staticmethod
        @hookimpl
        def pointline_vendor_info():
            return VendorInfo("bench", "0", "bench", ("x",), PLUGIN_API_VERSION)

        @staticmethod
        @hookimpl
        def pointline_table_mapping():
            return {"x": "trades"}

        @staticmethod
        @hookimpl
        def pointline_exchanges():
            return [ExchangeInfo("bench-x", "UTC", "test")]

        @staticmethod
        @hookimpl
        def pointline_recognize_archive(archive):
            return ArchiveInfo("bench", archive.name, "7z")

        @staticmethod
        @hookimpl
        def pointline_member_path(archive, member):
            code = member.rsplit("/", 1)[1][:-4]
            return MemberTarget(f"symbol={code}/{code}.csv.gz")

    p = Plugins()
    p.register(Bench())
    return p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=300)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--sample", type=int, default=12, help="members timed per-member")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for the timed passes")
    ap.add_argument("--levels", action="store_true", help="gzip level size/time table")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    warm = b"\x01" * (1 << 30)  # first-touch page faults paid here, not by a timed step
    del warm
    work = Path(tempfile.mkdtemp(prefix="pointline-extract-bench-"))
    fresh = iter(range(1_000_000))
    try:
        archive = work / "src" / "bench" / "order_new_STK_SZ_20240102.7z"
        archive.parent.mkdir(parents=True)
        t0 = time.perf_counter()
        names, raw = build(archive, args.symbols, args.rows)
        result: dict[str, object] = {
            "symbols": args.symbols,
            "rows_per_member": args.rows,
            "uncompressed_mb": round(raw / 1e6, 1),
            "archive_mb": round(archive.stat().st_size / 1e6, 2),
            "build_s": round(time.perf_counter() - t0, 2),
        }
        result["py7zr_one_pass_s"] = round(
            best(
                lambda: extract_archive(archive, work / f"one{next(fresh)}", "7z", "py7zr"),
                args.repeat,
            ),
            3,
        )
        if args.levels:
            result["levels"] = level_table(work / "one0")
        step = max(1, len(names) // args.sample)
        picks = names[step // 2 :: step][: args.sample]
        per = [timed(lambda n=n: per_member_py7zr(archive, n, work / "per")) for n in picks]
        result["py7zr_per_member_mean_s"] = round(sum(per) / len(per), 4)
        result["py7zr_per_member_total_s_extrapolated"] = round(sum(per) / len(per) * len(names), 1)
        program = find_7z_cli()
        result["cli"] = program
        if program:
            result["bare_7zz_x_s"] = round(
                best(lambda: bare_cli(program, archive, work / f"bare{next(fresh)}"), args.repeat),
                3,
            )
            result["cli_one_pass_s"] = round(
                best(
                    lambda: extract_archive(archive, work / f"cli{next(fresh)}", "7z", "cli"),
                    args.repeat,
                ),
                3,
            )
            per = [
                timed(lambda n=n: per_member_cli(program, archive, n, work / "cp")) for n in picks
            ]
            result["cli_per_member_total_s_extrapolated"] = round(
                sum(per) / len(per) * len(names), 1
            )
        plugins = _plugins()
        for backend in ("py7zr", "cli") if program else ("py7zr",):
            runs = []
            for _ in range(args.repeat):
                bronze = work / f"bronze-{backend}-{next(fresh)}"
                t0 = time.perf_counter()
                report = extract(work / "src", bronze, plugins=plugins, backend=backend)
                (a,) = report.archives
                runs.append((time.perf_counter() - t0, a))
                assert a.members_published == len(names)
            total, a = min(runs, key=lambda r: r[0])
            result[f"runner_{backend}_total_s"] = round(total, 3)
            result[f"runner_{backend}_extract_s"] = a.extract_s
            result[f"runner_{backend}_publish_gzip_s"] = a.publish_s
            result[f"runner_{backend}_other_s"] = round(total - a.extract_s - a.publish_s, 3)
        result["bronze_gz_mb"] = round(
            sum(p.stat().st_size for p in bronze.rglob("*.csv.gz")) / 1e6, 2
        )
        bronze = work / "bronze-py7zr-rerun"
        extract(work / "src", bronze, plugins=plugins, backend="py7zr")
        for key, rehash in (("rerun_quick_s", False), ("rerun_rehash_s", True)):
            result[key] = round(
                min(
                    timed(lambda r=rehash: extract(work / "src", bronze, plugins=plugins, rehash=r))
                    for _ in range(3)
                ),
                3,
            )
        buf = b"\x5a" * (64 << 20)
        result["sha256_mb_per_s"] = round(64 * 1.048576 / timed(lambda: hashlib.sha256(buf)), 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratios = {}
    for backend in ("cli", "py7zr"):
        total = result.get(f"runner_{backend}_total_s")
        if total and result.get("bare_7zz_x_s"):
            ratios[f"extract({backend}) / bare 7zz x"] = total / result["bare_7zz_x_s"]
        one = result.get(f"{backend}_one_pass_s")
        if total and one:
            ratios[f"extract({backend}) / {backend} one pass"] = total / one
    result["ratios"] = {k: round(v, 2) for k, v in ratios.items()}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            if k in ("levels", "ratios"):
                continue
            print(f"{k:42} {v}")
        for row in result.get("levels", []):
            print(
                f"{'gzip ' + row['lib'] + ' level ' + str(row['level']):42} {row['s']:.3f} s  "
                f"{row['mb_per_s']} MB/s  {row['gz_mb']} MB  ratio {row['ratio']}"
            )
        for k, v in result["ratios"].items():
            print(f"{k:42} {v:.2f}x")
        one = result["py7zr_one_pass_s"]
        total = result["py7zr_per_member_total_s_extrapolated"]
        print(f"{'per-member / one-pass (py7zr)':42} {total / one:.0f}x")  # type: ignore[operator]
        if result.get("cli_one_pass_s"):
            ratio = result["cli_per_member_total_s_extrapolated"] / result["cli_one_pass_s"]  # type: ignore[operator]
            print(f"{'per-member / one-pass (7-Zip program)':42} {ratio:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
