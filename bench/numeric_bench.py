"""Numeric representation benchmark (issue 17 point 1): Int64 fixed point vs Decimal(38, s).

    python bench/numeric_bench.py [--rows 5000000] [--repeat 3] [--json]

Generates ``--rows`` quantity strings shaped like real crypto trade sizes (a mix of BTC-like
``0.00012345``, contract counts ``1200`` and meme-coin sizes ``123456789012.5`` up to 5e11)
and price strings (BTC ``61175.5``, meme ``0.0000123456``, one ``1e-10``), then measures, for
each representation:

- parse + cast of the text column (what canonicalize does per batch);
- sum of the column (daily volume), and whether it is exact;
- Delta write (``write_deltalake``) and read (``pl.read_delta``) time, size on disk;
- what each reader sees: polars, deltalake/arrow, DuckDB (if installed) read the same table.

Representations: ``Int64`` at the current scales (price 1e-9, qty 1e-8), ``Decimal(38, s)``
at the current scales and at ``s = 18``. Nothing in the project depends on this script; its
numbers are recorded in docs/numeric-representation.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pointline_core.fixedpoint import encode  # noqa: E402


def int64_fixed(column: str, scale: int) -> pl.Expr:
    """The Int64 fixed point of plugin API 1.x (what ``encode`` returned before Decimal):
    parse through Decimal, then narrow to Int64 (null when it does not fit)."""
    dec = pl.col(column).str.strip_chars().cast(pl.Decimal(38, scale), strict=False)
    return dec.to_physical().cast(pl.Int64, strict=False)


INT64_MAX = 2**63 - 1


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def make_text(rows: int) -> pl.DataFrame:
    """Deterministic price/qty text columns (integer polars expressions, no RNG state)."""
    i = pl.int_range(rows, dtype=pl.Int64, eager=True)
    kind = i % 10
    h = (i * 2654435761) % 1_000_003  # cheap deterministic hash
    qty = (
        pl.when(kind < 6)  # BTC-like sizes, 8 decimals
        .then(pl.format("0.{}", (h % 99_999_999 + 1).cast(pl.String).str.zfill(8)))
        .when(kind < 8)  # contract counts
        .then((h % 5000 + 1).cast(pl.String))
        .otherwise(  # meme coins: 1e9 .. ~5e11 tokens, one decimal
            pl.format("{}.{}", (h * 499_999 + 1_000_000_000).cast(pl.String), (h % 10))
        )
    )
    price = (
        pl.when(kind < 6)
        .then(pl.format("{}.{}", (h % 20_000 + 50_000).cast(pl.String), (h % 10)))
        .when(kind < 8)
        .then(pl.format("1.{}", (h % 9999).cast(pl.String).str.zfill(4)))
        .otherwise(pl.format("0.0000{}", (h % 99_999 + 10_000).cast(pl.String)))
    )
    frame = pl.DataFrame({"i": i}).select(price=price, qty=qty)
    # one sub-nano price: a 1e-10 token price must not round to 0
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("1e-10")).otherwise("price").alias("price")
    )


def exact_sum(text: pl.Series) -> Decimal:
    """The true sum, in Python Decimal arithmetic over a polars Decimal(38, 18) cast."""
    return sum((Decimal(v) for v in text.to_list()), Decimal(0))


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*.parquet"))


def bench(rows: int, repeat: int) -> dict[str, Any]:
    from deltalake import DeltaTable, write_deltalake

    text = make_text(rows)
    truth_qty = exact_sum(text["qty"])
    options: dict[str, dict[str, tuple[pl.Expr, pl.Expr]]] = {
        "Int64 (price 1e-9, qty 1e-8)": {
            "expr": (int64_fixed("price", 9), int64_fixed("qty", 8)),
            "scales": (9, 8),
        },
        "Decimal(38, 9/8)": {
            "expr": (
                pl.col("price").str.strip_chars().cast(pl.Decimal(38, 9), strict=False),
                pl.col("qty").str.strip_chars().cast(pl.Decimal(38, 8), strict=False),
            ),
            "scales": (9, 8),
        },
        "Decimal(38, 12)": {
            "expr": (
                pl.col("price").str.strip_chars().cast(pl.Decimal(38, 12), strict=False),
                pl.col("qty").str.strip_chars().cast(pl.Decimal(38, 12), strict=False),
            ),
            "scales": (12, 12),
        },
        "Decimal(38, 18) (fixedpoint.encode)": {
            "expr": (encode("price", 18), encode("qty", 18)),
            "scales": (18, 18),
        },
    }
    results: dict[str, Any] = {
        "rows": rows,
        "true_qty_sum": str(truth_qty),
        "polars": pl.__version__,
        "options": {},
    }
    results["int64_sum_wrap"] = pl.Series([9 * 10**18, 9 * 10**18]).sum()
    tmp = Path(tempfile.mkdtemp(prefix="numeric_bench_"))
    try:
        for name, opt in options.items():
            price_expr, qty_expr = opt["expr"]
            p_scale, q_scale = opt["scales"]
            t_parse, typed = _best(
                lambda pe=price_expr, qe=qty_expr: text.select(pe.alias("price"), qe.alias("qty")),
                repeat,
            )
            nulls = typed.null_count().row(0)
            tiny = typed["price"][7]
            tiny_ok = tiny is not None and tiny != 0
            t_sum, total = _best(lambda t=typed: t["qty"].sum(), repeat)
            if typed["qty"].dtype == pl.Int64:
                # polars sums Int64 in Int64: past 9.2e18 units it wraps (no error)
                as_dec = Decimal(int(total)).scaleb(-q_scale)
                py_sum = sum(v for v in typed["qty"].to_list() if v is not None)
                fits = py_sum <= INT64_MAX
            else:
                as_dec = Decimal(total)
                fits = True
            path = tmp / name.replace(" ", "_").replace("(", "").replace(")", "").replace(",", "")
            t_write, _ = _best(
                lambda p=path, t=typed: write_deltalake(str(p), t, mode="overwrite"), 1
            )
            size = _dir_size(path)
            t_read, back = _best(lambda p=path: pl.read_delta(str(p)), repeat)
            # The lake's event tables are written by polars (zstd, statistics), not delta-rs.
            zpath = tmp / f"{path.name}.zstd.parquet"
            t_zwrite, _ = _best(
                lambda z=zpath, t=typed: t.write_parquet(z, compression="zstd", statistics=True),
                repeat,
            )
            t_zread, _ = _best(lambda z=zpath: pl.read_parquet(z), repeat)
            zsize = zpath.stat().st_size
            arrow_types = {f.name: str(f.type) for f in DeltaTable(str(path)).schema().fields}
            seen: dict[str, Any] = {
                "polars": {k: str(v) for k, v in back.schema.items()},
                "deltalake": arrow_types,
            }
            try:
                import duckdb

                con = duckdb.connect()
                rel = con.sql(
                    f"SELECT any_value(typeof(price)), any_value(typeof(qty)), sum(qty) "
                    f"FROM read_parquet('{path}/*.parquet')"
                )
                ((tp, tq, s),) = rel.fetchall()
                t_duck, _ = _best(
                    lambda c=con, p=path: c.sql(
                        f"SELECT sum(qty) FROM read_parquet('{p}/*.parquet')"
                    ).fetchall(),
                    repeat,
                )
                seen["duckdb"] = {"price": tp, "qty": tq, "sum(qty)": str(s), "sum_s": t_duck}
            except ImportError:
                seen["duckdb"] = "not installed"
            results["options"][name] = {
                "parse_cast_s": round(t_parse, 3),
                "null_after_cast (price, qty)": nulls,
                "price_1e-10_kept": tiny_ok,
                "sum_s": round(t_sum, 4),
                "qty_sum": str(as_dec),
                "qty_sum_exact": fits and as_dec == truth_qty,
                "delta_write_s": round(t_write, 3),
                "delta_read_s": round(t_read, 3),
                "delta_rs_parquet_bytes": size,
                "zstd_parquet_write_s": round(t_zwrite, 3),
                "zstd_parquet_read_s": round(t_zread, 3),
                "zstd_parquet_bytes": zsize,
                "zstd_bytes_per_row": round(zsize / rows, 2),
                "readers": seen,
                "scales": (p_scale, q_scale),
            }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    res = bench(args.rows, args.repeat)
    if args.json:
        print(json.dumps(res, indent=2, default=str))
        return 0
    print(f"rows {res['rows']:,}  polars {res['polars']}  true qty sum {res['true_qty_sum']}")
    print(f"polars Int64 sum of [9e18, 9e18] = {res['int64_sum_wrap']} (wraps, no error)")
    for name, r in res["options"].items():
        print(f"\n{name}")
        for k, v in r.items():
            print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
