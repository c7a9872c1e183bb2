"""The README demo: bundled sample data -> Bronze -> a local lake, then a summary.

    python3 dev.py demo            (or: .venv/bin/python scripts/demo.py [--root DIR])

1. writes a small synthetic Tardis day (gzip CSVs + instruments JSON), a synthetic
   SSE+SZSE Quant360 day (solid .7z archives + listing file) and a synthetic Databento day
   (CME futures + a Nasdaq stock as DBN files + definition files) with the plugins'
   generators;
2. extracts the archives into Bronze (``pointline_core.extract``);
3. imports the three vendors' symbols into dim_symbol (``pointline_core.import_symbols``);
4. ingests everything (``pointline_core.ingest``) and prints the run report;
5. runs the ingest again to show that nothing is written twice;
6. prints the lake's coverage and a few decoded rows.

Everything lands under ``.demo/`` (recreated on each run).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import polars as pl

from pointline_core import extract, import_symbols, ingest, query
from pointline_core.cli.ingest_cmd import print_report

ROOT = Path(__file__).resolve().parents[1]


def step(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def write_samples(source: Path, bronze: Path) -> list[tuple[Path, str]]:
    """Write the three sample days; returns each symbols file with its vendor."""
    from pointline_databento.sample import definition_files
    from pointline_databento.sample import write_sample as databento_sample
    from pointline_quant360.sample import write_sample as quant360_sample
    from pointline_tardis.sample import write_sample as tardis_sample

    tardis_files = tardis_sample(bronze)
    quant360_files = quant360_sample(source)
    databento_sample(bronze)
    definitions = definition_files(bronze)
    dbn_files = sorted((bronze / "databento").rglob("*.dbn*"))
    print(f"tardis: {len(tardis_files) - 1} CSV files under {bronze / 'tardis'}")
    print(f"quant360: {len(quant360_files) - 1} .7z archives under {source / 'quant360'}")
    print(f"databento: {len(dbn_files)} DBN files under {bronze / 'databento'}")
    return [
        (bronze / "tardis_instruments.json", "tardis"),
        (source / "quant360_listing.csv", "quant360"),
        *((path, "databento") for path in definitions),
    ]


def show_lake(lake: Path) -> None:
    step("coverage of the demo lake (pointline coverage)")
    with pl.Config(tbl_rows=60, tbl_cols=10, tbl_width_chars=120):
        print(query.coverage(lake))
        step("a few decoded trades (pointline read)")
        trades = query.load(lake, "trades", decoded=True).head(5).collect()
        print(trades.select("exchange", "symbol", "ts_event_us", "side", "price", "qty"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT / ".demo")
    args = parser.parse_args(argv)
    root: Path = args.root
    shutil.rmtree(root, ignore_errors=True)
    source, bronze, lake = root / "source", root / "bronze", root / "lake"

    step("1. sample data")
    symbol_files = write_samples(source, bronze)

    step("2. extract archives into Bronze (pointline extract)")
    report = extract(source, bronze)
    for archive in report.archives:
        print(
            f"  {archive.archive_name}: {archive.status}, {archive.members_published} of "
            f"{archive.members_total} members published ({archive.backend})"
        )

    step("3. import symbols into dim_symbol (pointline symbols import)")
    for path, vendor in symbol_files:
        applied = import_symbols(path, lake, vendor=vendor)
        print(
            f"  {vendor}: {applied.rows_in} rows, {applied.symbols} symbols, "
            f"{applied.windows_opened} windows opened"
        )

    step("4. ingest (pointline ingest)")
    result = ingest(bronze, lake)
    print_report(result)

    step("5. ingest again: nothing new, nothing written")
    print(ingest(bronze, lake, progress=False).message)

    show_lake(lake)
    print(f"\nthe demo lake is at {lake}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
