"""Bronze builders for the bad-input robustness tests: small Tardis trades files written
byte-exactly, the instruments file that covers them, and lake set-up through the real CLI.

Every file holds ``binance-futures`` ``BTCUSDT`` trades of 2024-03-01 (covered by the
sample instruments), so a clean file lands entirely in Silver and every quarantined row is
quarantined for the reason the test put in.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from pointline_tardis.sample import instruments

from tests.robustness.conftest import run_pointline

HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
#: 2024-03-01T00:00:00Z in microseconds
T0_US = 1_709_251_200_000_000
DAY = "2024-03-01"


def trade_lines(n: int, *, start: int = 0, ts_scale: float = 1, symbol: str = "BTCUSDT") -> str:
    """``n`` well-formed trade lines (no header); ``ts_scale`` rescales the timestamps
    (``1/1000`` -> milliseconds, ``1000`` -> nanoseconds)."""
    lines = []
    for i in range(start, start + n):
        ts = int((T0_US + i * 1_000) * ts_scale)
        lines.append(
            f"binance-futures,{symbol},{ts},{ts + 7},{i},{'buy' if i % 2 else 'sell'},"
            f"{61000 + i}.5,0.{i % 9 + 1}\n"
        )
    return "".join(lines)


def trades_text(n: int, **kwargs: object) -> str:
    return HEADER + trade_lines(n, **kwargs)  # type: ignore[arg-type]


def trades_name(symbol: str = "BTCUSDT", day: str = DAY) -> str:
    return f"binance-futures_trades_{day}_{symbol}.csv.gz"


def write_gz(path: Path | bytes, data: str | bytes) -> Path | bytes:
    """Write ``data`` gzip-compressed (deterministic header) to ``path``; parents created.
    ``path`` may be a bytes path (file names that are not UTF-8)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    payload = gzip.compress(raw, mtime=0)
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(payload)
    return path


def vendor_dir(bronze: Path) -> Path:
    return bronze / "tardis"


def new_lake(root: Path, *, open_to_all: bool = False) -> tuple[Path, Path]:
    """``(bronze, lake)`` under ``root`` with the sample instruments imported into the lake.

    ``open_to_all`` makes both folders writable by any user (the permission cases run the
    CLI as ``nobody``).
    """
    bronze, lake = root / "bronze", root / "lake"
    vendor_dir(bronze).mkdir(parents=True)
    lake.mkdir()
    symbols = root / "instruments.json"
    symbols.write_text(json.dumps(instruments()), encoding="utf-8")
    proc = run_pointline(["symbols", "import", symbols, lake, "--vendor", "tardis"])
    assert proc.returncode == 0, proc.stderr
    if open_to_all:
        open_tree(root)
    return bronze, lake


def open_tree(root: Path) -> None:
    """chmod every folder 0o777 and every file 0o666 under (and including) ``root``."""
    root.chmod(0o777)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            Path(dirpath, d).chmod(0o777)
        for f in filenames:
            Path(dirpath, f).chmod(0o666)


def ingest(
    bronze: Path, lake: Path, *extra: str, user: str | None = None
) -> tuple[object, dict[str, object]]:
    """Run ``pointline ingest --json``; (the process, the parsed report or {} )."""
    proc = run_pointline(["ingest", bronze, lake, "--json", *extra], user=user)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = {}
    return proc, report


def files_by_path(report: dict[str, object]) -> dict[str, dict[str, object]]:
    return {f["rel_path"]: f for f in report["files"]}  # type: ignore[index,union-attr]


def manifest(lake: Path) -> pl.DataFrame:
    """The ingest manifest through ``pointline manifest --json`` (one row per entry)."""
    proc = run_pointline(["manifest", lake, "--json"])
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def no_traceback(*procs: object) -> None:
    for proc in procs:
        out = f"{proc.stdout}\n{proc.stderr}"  # type: ignore[attr-defined]
        assert "Traceback" not in out, out


def silver_ids(lake: Path, table: str = "trades") -> list[str]:
    """trade_id of every Silver row, sorted (the ids say which lines landed)."""
    from tests.robustness.conftest import table_rows

    rows = table_rows(lake, table)
    return sorted(rows["trade_id"].to_list()) if rows.height else []


def expected_ids(*ranges: Sequence[int]) -> list[str]:
    return sorted(str(i) for r in ranges for i in r)
