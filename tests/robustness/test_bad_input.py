"""Bad Bronze input through the real ``pointline`` command and the real tardis plugin.

One test per kind of bad input. Each asserts the exit code, the reason the report and the
manifest give, that no traceback was printed, and the lake afterwards: nothing lost (row
counts exact, by trade id), nothing doubled ((file_id, file_seq) unique across Silver and
quarantine), and where a fix exists, that a rerun after it lands exactly the missing rows.

Exit codes: a run with a failed file exits 1; a run whose only problem is quarantined rows
exits 0 today and 3 under the exit-code scheme being introduced, so those accept both.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from tests.robustness.bronze import (
    HEADER,
    T0_US,
    expected_ids,
    files_by_path,
    ingest,
    manifest,
    new_lake,
    no_traceback,
    open_tree,
    silver_ids,
    trade_lines,
    trades_name,
    trades_text,
    vendor_dir,
    write_gz,
)
from tests.robustness.conftest import (
    POINTLINE,
    assert_lineage_unique,
    require_root,
    table_rows,
)

QUARANTINE_ONLY = (0, 3)
BTC = f"tardis/{trades_name('BTCUSDT')}"
ETH = f"tardis/{trades_name('ETHUSDT')}"


@pytest.fixture
def lake_dirs(tmp_path: Path) -> tuple[Path, Path]:
    return new_lake(tmp_path)


def _write(bronze: Path, symbol: str, text: str, folder: str = "") -> Path:
    path = vendor_dir(bronze) / folder / trades_name(symbol)
    write_gz(path, text)
    return path


def _good(bronze: Path, n: int = 5) -> Path:
    """The clean neighbour every test keeps: BTCUSDT trades 0..n-1."""
    return _write(bronze, "BTCUSDT", trades_text(n))


def _status(lake: Path) -> dict[str, tuple[str, str | None]]:
    """bronze_path -> (status, reason) of the newest manifest entry at each path."""
    frame = manifest(lake).sort("file_id")
    return {
        row["bronze_path"]: (row["status"], row["status_reason"])
        for row in frame.iter_rows(named=True)
    }


def _quarantine(lake: Path) -> pl.DataFrame:
    return table_rows(lake, "trades", "quarantine")


# --- wrong: the cases this issue fixes --------------------------------------------------------


def test_copy_in_a_subfolder_is_a_duplicate_not_written_twice(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 6)
    _write(bronze, "BTCUSDT", trades_text(6), folder="backup")  # same name, same bytes
    _write(bronze, "BTCUSDT", trades_text(6), folder="zz/again")
    original = "tardis/backup/" + trades_name("BTCUSDT")  # first in path order
    copies = [BTC, "tardis/zz/again/" + trades_name("BTCUSDT")]

    proc, report = ingest(bronze, lake, "--dry-run")  # says so, writes nothing
    assert proc.returncode == 0, proc.stderr
    assert {files_by_path(report)[c]["status"] for c in copies} == {"duplicate"}
    assert not (lake / "control" / "ingest_manifest").exists()

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    files = files_by_path(report)
    assert files[original]["status"] == "success"
    for copy in copies:
        assert files[copy]["status"] == "duplicate"
        assert files[copy]["reason"].startswith(f"duplicate: same content as {original}")
    assert silver_ids(lake) == expected_ids(range(6))
    assert_lineage_unique(lake, "trades")
    status = _status(lake)
    assert [status[c][0] for c in copies] == ["duplicate", "duplicate"]
    assert "--allow-duplicate-content" in status[copies[0]][1]

    dup = run_pointline_manifest(lake, "duplicate")
    assert sorted(e["bronze_path"] for e in dup) == sorted(copies)

    # Rerun (and a forced one): still duplicates, nothing written twice.
    for extra in ((), ("--force",)):
        proc, report = ingest(bronze, lake, *extra)
        no_traceback(proc)
        assert proc.returncode == 0, proc.stderr
        assert {files_by_path(report)[c]["status"] for c in copies} == {"duplicate"}
        assert silver_ids(lake) == expected_ids(range(6))
        assert_lineage_unique(lake, "trades")

    # A new copy that sorts before the landed original is still the duplicate.
    _write(bronze, "BTCUSDT", trades_text(6), folder="aa")
    proc, report = ingest(bronze, lake)
    assert proc.returncode == 0, proc.stderr
    new = files_by_path(report)["tardis/aa/" + trades_name("BTCUSDT")]
    assert new["status"] == "duplicate" and f"same content as {original}" in new["reason"]
    assert silver_ids(lake) == expected_ids(range(6))


def test_allow_duplicate_content_writes_the_copy(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 4)
    proc, _ = ingest(bronze, lake)
    assert proc.returncode == 0, proc.stderr
    _write(bronze, "BTCUSDT", trades_text(4), folder="copy")
    copy = "tardis/copy/" + trades_name("BTCUSDT")

    proc, report = ingest(bronze, lake)  # landed in an earlier run: still a duplicate
    assert proc.returncode == 0 and files_by_path(report)[copy]["status"] == "duplicate"
    assert f"same content as {BTC}" in files_by_path(report)[copy]["reason"]
    assert len(silver_ids(lake)) == 4

    proc, report = ingest(bronze, lake, "--allow-duplicate-content")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert files_by_path(report)[copy]["status"] == "success"
    assert silver_ids(lake) == sorted(expected_ids(range(4)) * 2)  # asked for: both copies
    assert_lineage_unique(lake, "trades")
    assert _status(lake)[copy][0] == "success"

    # A forced run without the flag makes it a duplicate again and takes its rows out.
    proc, report = ingest(bronze, lake, "--force")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert files_by_path(report)[copy]["status"] == "duplicate"
    assert silver_ids(lake) == expected_ids(range(4))
    assert_lineage_unique(lake, "trades")
    assert _status(lake)[copy][0] == "duplicate"


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder every user can enter (pytest's own is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="pointline-robustness-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_unreadable_file_fails_alone_and_lands_after_chmod(shared_tmp):
    require_root("running pointline as nobody")
    tmp_path = shared_tmp
    bronze, lake = new_lake(tmp_path, open_to_all=True)
    _good(bronze, 5)
    locked = _write(bronze, "ETHUSDT", trades_text(3, symbol="ETHUSDT"))
    hidden = _write(bronze, "BTCUSDT", trades_text(2, start=100), folder="private")
    open_tree(tmp_path)
    locked.chmod(0o000)
    hidden.parent.chmod(0o000)  # a folder nobody may list: reported, not silently skipped

    for _ in range(2):  # the rerun while still unreadable says the same
        proc, report = ingest(bronze, lake, user="nobody")
        no_traceback(proc)
        assert proc.returncode == 1, proc.stderr
        eth = files_by_path(report)[ETH]
        assert eth["status"] == "failed"
        assert eth["reason"].startswith(f"unreadable: permission denied: {locked}")
        assert silver_ids(lake) == expected_ids(range(5))
        status, reason = _status(lake)[ETH]
        assert status == "failed" and reason.startswith("unreadable: permission denied")
        [folder] = report["unrecognised"]
        assert folder["rel_path"] == "tardis/private"
        assert folder["reason"].startswith("folder cannot be listed (permission denied)")

    locked.chmod(0o644)
    hidden.parent.chmod(0o755)
    proc, report = ingest(bronze, lake, user="nobody")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert files_by_path(report)[ETH]["status"] == "success"
    rows = table_rows(lake, "trades")
    assert rows.group_by("symbol").len().sort("symbol").rows() == [("BTCUSDT", 7), ("ETHUSDT", 3)]
    assert_lineage_unique(lake, "trades")
    entries = manifest(lake).filter(pl.col("bronze_path") == ETH)
    assert sorted(entries["status"]) == ["success", "superseded"]


def test_unlistable_quant360_folder_is_reported_not_skipped(shared_tmp):
    require_root("running pointline as nobody")
    bronze, lake = shared_tmp / "bronze", shared_tmp / "lake"
    folder = bronze / "quant360" / "exchange=sse" / "type=tick_new" / "date=2024-01-02"
    (folder / "symbol=600000").mkdir(parents=True)
    lake.mkdir()
    open_tree(shared_tmp)
    folder.chmod(0o000)

    proc, report = ingest(bronze, lake, "--vendor", "quant360", user="nobody")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    [u] = report["unrecognised"]
    assert u["rel_path"] == "quant360/exchange=sse/type=tick_new/date=2024-01-02"
    assert u["reason"].startswith("folder cannot be listed (permission denied)")


def test_file_name_not_utf8_is_unrecognised_and_the_others_land(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 5)
    bad = os.fsencode(vendor_dir(bronze)) + b"/binance-futures_trades_2024-03-01_\xff.csv.gz"
    write_gz(bad, trades_text(3))

    for _ in range(2):
        proc, report = ingest(bronze, lake)
        no_traceback(proc)
        assert proc.returncode == 0, proc.stderr
        [u] = report["unrecognised"]
        assert u["rel_path"] == "tardis/binance-futures_trades_2024-03-01_\\xff.csv.gz"
        assert u["reason"].startswith(
            "file name is not valid UTF-8: binance-futures_trades_2024-03-01_\\xff.csv.gz"
        )
        assert silver_ids(lake) == expected_ids(range(5))
    proc = subprocess.run(
        [POINTLINE, "ingest", bronze, lake], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "\\xff" in proc.stdout and "rename it" in proc.stdout
    assert list(manifest(lake)["bronze_path"]) == [BTC]


def test_nanosecond_timestamps_are_quarantined_and_valid_files_land(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 5)
    _write(bronze, "ETHUSDT", trades_text(4, symbol="ETHUSDT", ts_scale=1000))

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode in QUARANTINE_ONLY, proc.stderr
    eth = files_by_path(report)[ETH]
    assert eth["status"] == "quarantined"
    assert eth["quarantine_reasons"] == {"out_of_range:timestamp": 4}
    assert silver_ids(lake) == expected_ids(range(5))
    q = _quarantine(lake)
    assert q.height == 4 and q["trading_date"].null_count() == 4  # Delta's default partition
    assert q["detail"].str.contains("nanoseconds\\? \\(/1000 = 2024-03-01T").all()
    assert_lineage_unique(lake, "trades")
    assert _status(lake)[ETH][0] == "quarantined"
    again, _ = ingest(bronze, lake)
    assert again.returncode == 0 and _quarantine(lake).height == 4


def test_millisecond_timestamps_say_value_range_and_likely_unit(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 2)
    _write(bronze, "ETHUSDT", trades_text(2, symbol="ETHUSDT", ts_scale=1 / 1000))

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode in QUARANTINE_ONLY, proc.stderr
    assert files_by_path(report)[ETH]["quarantine_reasons"] == {"out_of_range:timestamp": 2}
    q = _quarantine(lake).sort("file_seq")
    assert q["detail"].to_list() == [
        f"{T0_US // 1000} is outside 2010-01-01..2100-01-01 in microseconds; "
        "milliseconds? (x1000 = 2024-03-01T00:00:00Z)",
        f"{T0_US // 1000 + 1} is outside 2010-01-01..2100-01-01 in microseconds; "
        "milliseconds? (x1000 = 2024-03-01T00:00:00.001Z)",
    ]
    assert silver_ids(lake) == expected_ids(range(2))
    assert_lineage_unique(lake, "trades")


def test_invalid_utf8_names_the_line_and_the_fixed_file_lands(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 3)
    lines = trade_lines(250_000, symbol="ETHUSDT").encode().splitlines(keepends=True)
    broken = list(lines)
    broken[149_998] = broken[149_998].replace(b"ETHUSDT", b"ETH\xffUSDT")  # file line 150000
    path = _write(bronze, "ETHUSDT", HEADER.encode() + b"".join(broken))

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    reason = files_by_path(report)[ETH]["reason"]
    assert "invalid UTF-8 at byte 20 of the line" in reason and "line 150000)" in reason
    assert "between lines" not in reason
    assert _status(lake)[ETH] == ("failed", reason)
    assert silver_ids(lake) == expected_ids(range(3))

    write_gz(path, HEADER.encode() + b"".join(lines))
    proc, report = ingest(bronze, lake)
    assert proc.returncode == 0, proc.stderr
    rows = table_rows(lake, "trades")
    assert rows.filter(pl.col("symbol") == "ETHUSDT").height == 250_000
    assert rows.height == 250_003
    assert_lineage_unique(lake, "trades")


# --- already handled well: kept so they stay that way -----------------------------------------


def test_truncated_gzip_fails_alone_then_the_full_file_lands(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 3)
    text = trades_text(20_000, symbol="ETHUSDT")
    path = _write(bronze, "ETHUSDT", text)
    path.write_bytes(path.read_bytes()[:-300])

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode == 1
    reason = files_by_path(report)[ETH]["reason"]
    assert "truncated or corrupt" in reason and "download it again" in reason
    assert silver_ids(lake) == expected_ids(range(3)) and _quarantine(lake).height == 0

    write_gz(path, text)
    proc, _ = ingest(bronze, lake)
    assert proc.returncode == 0, proc.stderr
    assert table_rows(lake, "trades").height == 20_003
    assert_lineage_unique(lake, "trades")


def test_wrong_header_fails_naming_the_column(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 3)
    path = _write(bronze, "ETHUSDT", trades_text(2).replace("amount", "qty"))

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode == 1
    reason = files_by_path(report)[ETH]["reason"]
    assert "unknown column 'qty'" in reason and "line 1" in reason
    assert _status(lake)[ETH][0] == "failed"
    assert silver_ids(lake) == expected_ids(range(3))

    write_gz(path, trades_text(2, start=10, symbol="ETHUSDT"))
    proc, _ = ingest(bronze, lake)
    assert proc.returncode == 0
    assert silver_ids(lake) == expected_ids(range(3), range(10, 12))


def test_wrong_field_count_fails_naming_the_line(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 3)
    lines = trade_lines(10, symbol="ETHUSDT").splitlines(keepends=True)
    lines[6] = lines[6].rstrip("\n") + ",EXTRA\n"  # file line 8
    _write(bronze, "ETHUSDT", HEADER + "".join(lines))

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode == 1
    reason = files_by_path(report)[ETH]["reason"]
    assert "has 9 fields but the header has 8" in reason and "line 8)" in reason
    assert silver_ids(lake) == expected_ids(range(3))
    assert _quarantine(lake).height == 0


@pytest.mark.parametrize(
    ("price", "amount", "reason"),
    [
        ("NaN", "0.1", "not_a_number:price"),
        ("inf", "0.1", "not_a_number:price"),
        ("61000.5", "-inf", "not_a_number:amount"),
        ("1e400", "0.1", "overflow:price"),
        ("123456789012345678901", "0.1", "overflow:price"),  # 21 integer digits
    ],
)
def test_nan_inf_and_overflow_values_are_quarantined_by_name(lake_dirs, price, amount, reason):
    bronze, lake = lake_dirs
    good = trade_lines(3).splitlines(keepends=True)
    bad = f"binance-futures,BTCUSDT,{T0_US},{T0_US + 7},99,buy,{price},{amount}\n"
    _write(bronze, "BTCUSDT", HEADER + good[0] + bad + "".join(good[1:]))

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode in QUARANTINE_ONLY, proc.stderr
    btc = files_by_path(report)[BTC]
    assert (btc["rows_written"], btc["rows_quarantined"]) == (3, 1)
    assert btc["quarantine_reasons"] == {reason: 1}
    q = _quarantine(lake)
    assert q["reason"].to_list() == [reason] and q["file_seq"].to_list() == [1]
    assert silver_ids(lake) == expected_ids(range(3))
    assert_lineage_unique(lake, "trades")


def test_symlink_loop_in_bronze_is_reported_and_the_files_land_once(lake_dirs):
    bronze, lake = lake_dirs
    _good(bronze, 4)
    (vendor_dir(bronze) / "loop").symlink_to("..", target_is_directory=True)

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    [u] = [u for u in report["unrecognised"] if "loop" in u["rel_path"]]
    assert "already scanned" in u["reason"]
    assert silver_ids(lake) == expected_ids(range(4))
    assert_lineage_unique(lake, "trades")


def test_a_20_mb_line_is_one_row_and_the_rest_lands(lake_dirs):
    bronze, lake = lake_dirs
    big_id = "x" * (20 << 20)
    lines = trade_lines(4).splitlines(keepends=True)
    lines[2] = lines[2].replace(",2,sell,", f",{big_id},sell,")
    _write(bronze, "BTCUSDT", HEADER + "".join(lines))

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    btc = files_by_path(report)[BTC]
    assert (btc["rows_total"], btc["rows_written"]) == (4, 4)
    rows = table_rows(lake, "trades").sort("file_seq")
    assert rows["trade_id"].str.len_bytes().to_list() == [1, 1, 20 << 20, 1]
    assert_lineage_unique(lake, "trades")


def test_non_ascii_utf8_folder_and_file_names_land(lake_dirs):
    bronze, lake = lake_dirs
    _write(bronze, "BTCUSDT", trades_text(3), folder="données/日本")
    (vendor_dir(bronze) / "notes-é.txt").write_text("x", encoding="utf-8")
    rel = f"tardis/données/日本/{trades_name('BTCUSDT')}"

    proc, report = ingest(bronze, lake)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert files_by_path(report)[rel]["status"] == "success"
    assert [u["rel_path"] for u in report["unrecognised"]] == ["tardis/notes-é.txt"]
    assert _status(lake)[rel][0] == "success"
    assert silver_ids(lake) == expected_ids(range(3))
    proc, report = ingest(bronze, lake)
    assert proc.returncode == 0 and files_by_path(report)[rel]["status"] == "skipped"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_ingest_then_rerun_lands_everything_once(lake_dirs, sig):
    bronze, lake = lake_dirs
    sizes = {"BTCUSDT": 120_000, "ETHUSDT": 90_000}
    for symbol, n in sizes.items():
        _write(bronze, symbol, trades_text(n, symbol=symbol))
    _write(bronze, "BTCUSDT", trades_text(50, start=500_000), folder="later")

    env = {k: v for k, v in os.environ.items() if k != "POINTLINE_DEBUG"}
    proc = subprocess.Popen(
        [POINTLINE, "ingest", str(bronze), str(lake)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Signal once the run has recorded its files as pending (manifest version 1), i.e.
    # while it parses and writes, or (on a fast machine) after; the assertions below hold
    # either way. A SIGINT that lands in a garbage-collection callback must still end in
    # one line (cli/interrupts.py), not an "Exception ignored" traceback.
    pending = lake / "control" / "ingest_manifest" / "_delta_log" / f"{1:020d}.json"
    while proc.poll() is None and not pending.exists():
        time.sleep(0.01)
    if proc.poll() is None:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 130, -sig, 128 + sig), err

    again, report = ingest(bronze, lake)
    no_traceback(again)
    assert again.returncode == 0, again.stderr
    assert {f["status"] for f in report["files"]} <= {"success", "skipped"}
    rows = table_rows(lake, "trades")
    assert rows.group_by("symbol").len().sort("symbol").rows() == [
        ("BTCUSDT", 120_050),
        ("ETHUSDT", 90_000),
    ]
    assert_lineage_unique(lake, "trades")
    assert set(manifest(lake)["status"]) == {"success"}


def run_pointline_manifest(lake: Path, status: str) -> list[dict[str, object]]:
    import json

    from tests.robustness.conftest import run_pointline

    proc = run_pointline(["manifest", lake, "--status", status, "--json"])
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_gzip_of_the_fixture_is_deterministic(tmp_path):
    """The builders write the same bytes twice (duplicate detection relies on it)."""
    a = write_gz(tmp_path / "a.gz", trades_text(3))
    b = write_gz(tmp_path / "b" / "a.gz", trades_text(3))
    assert Path(a).read_bytes() == Path(b).read_bytes()
    assert gzip.decompress(Path(a).read_bytes()).decode() == trades_text(3)
