"""storage.delta.scan_snapshot: control tables read as their snapshot's Parquet files, with the
table's schema (columns a table gained after some files were written read as null), and
without importing pyarrow or numpy (pl.scan_delta did, in every ingest run and worker)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
from deltalake import DeltaTable, Field

from pointline_core.storage.delta import scan_snapshot

REPO = Path(__file__).resolve().parents[2]


def test_older_files_read_null_for_a_column_added_later(tmp_path):
    path = str(tmp_path / "t")
    pl.DataFrame({"a": [1, 2]}).write_delta(path)
    DeltaTable(path).alter.add_columns([Field("b", "string", nullable=True)])
    pl.DataFrame({"a": [3], "b": ["x"]}).write_delta(path, mode="append")
    got = scan_snapshot(DeltaTable(path)).collect().sort("a")
    assert got.to_dict(as_series=False) == {"a": [1, 2, 3], "b": [None, None, "x"]}
    assert got.equals(pl.read_delta(path).sort("a"))


def test_an_older_version_and_an_empty_table(tmp_path):
    path = str(tmp_path / "t")
    pl.DataFrame(schema={"a": pl.Int64, "p": pl.Decimal(38, 18)}).write_delta(path)
    empty = scan_snapshot(DeltaTable(path)).collect()
    assert empty.height == 0 and empty.schema == {"a": pl.Int64, "p": pl.Decimal(38, 18)}
    schema = {"a": pl.Int64, "p": pl.Decimal(38, 18)}
    pl.DataFrame({"a": [1], "p": [None]}, schema=schema).write_delta(path, mode="append")
    pl.DataFrame({"a": [2], "p": [None]}, schema=schema).write_delta(path, mode="overwrite")
    table = DeltaTable(path)
    assert scan_snapshot(table).collect()["a"].to_list() == [2]
    table.load_as_version(1)
    assert scan_snapshot(table).collect()["a"].to_list() == [1]


def test_partitioned_tables_keep_their_partition_columns(tmp_path):
    path = str(tmp_path / "t")
    frame = pl.DataFrame({"exchange": ["x", "y"], "v": [1, 2]})
    frame.write_delta(path, delta_write_options={"partition_by": ["exchange"]})
    got = scan_snapshot(DeltaTable(path)).collect().sort("v")
    assert got.select(frame.columns).equals(frame)


def test_an_ingest_imports_neither_pyarrow_nor_numpy(tmp_path):
    """The demo's Tardis sample day through ingest() in a fresh interpreter."""
    code = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from pointline_core import ingest
bronze = Path({str(tmp_path / "bronze")!r})
from pointline_tardis.sample import write_sample
write_sample(bronze)
report = ingest(bronze, Path({str(tmp_path / "lake")!r}), vendors=["tardis"], progress=False)
assert report.files and all(f.status != "failed" for f in report.files), report.files
print(sorted(m for m in ("pyarrow", "numpy") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
