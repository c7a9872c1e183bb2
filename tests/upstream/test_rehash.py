"""Reruns skip unchanged archives without re-hashing them; ledgers written before the size and
mtime columns existed keep working; folders are flushed before the ledger records success."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import attrs
import polars as pl
import pytest
from deltalake import DeltaTable

from pointline_core.cli import main as cli_main
from pointline_core.hashing import sha256_file
from pointline_core.schemas.tables import UPSTREAM_LEDGER
from pointline_core.storage.delta import check_table_schema, create_table
from pointline_core.upstream import runner as runner_mod
from pointline_core.upstream.ledger import UpstreamLedger, ledger_path
from pointline_core.upstream.runner import extract
from tests.upstream import fake_vendor as fv

DAY1, DAY2 = "bars_20240102", "bars_20240103"


def members(stem: str, symbols: str = "AAA BBB") -> dict[str, bytes]:
    return {f"{stem}/{s}.csv": fv.member_bytes(s + stem, 10) for s in symbols.split()}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "source"
    fv.make_7z(root / fv.VENDOR / f"{DAY1}.7z", members(DAY1))
    fv.make_7z(root / fv.VENDOR / f"{DAY2}.7z", members(DAY2))
    return root


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Names of the archives the runner hashes."""
    seen: list[str] = []

    def counting(path: Path) -> str:
        seen.append(Path(path).name)
        return sha256_file(path)

    monkeypatch.setattr(runner_mod, "sha256_file", counting)
    return seen


def _ledger(bronze: Path) -> pl.DataFrame:
    return UpstreamLedger(ledger_path(bronze)).frame().sort("archive_name", "updated_at_us")


def test_unchanged_archives_are_skipped_without_hashing(tmp_path, src, hashes):
    bronze = tmp_path / "bronze"
    first = extract(src, bronze, plugins=fv.plugins())
    assert first.archives_hashed == 2 and hashes == [f"{DAY1}.7z", f"{DAY2}.7z"]
    ledger = _ledger(bronze)
    stats = [(p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(src.rglob("*.7z"))]
    assert list(zip(ledger["size_bytes"], ledger["mtime_ns"], strict=True)) == stats

    hashes.clear()
    again = extract(src, bronze, plugins=fv.plugins())
    assert hashes == [] and again.archives_hashed == 0
    assert [(a.status, a.hashed) for a in again.archives] == [("skipped", False)] * 2
    assert [a.sha256 for a in again.archives] == [a.sha256 for a in first.archives]
    assert "not re-hashed" in again.archives[0].reason
    # rehash=True reads every archive again; nothing else changes.
    forced = extract(src, bronze, plugins=fv.plugins(), rehash=True)
    assert hashes == [f"{DAY1}.7z", f"{DAY2}.7z"] and forced.archives_skipped == 2
    assert all(a.hashed for a in forced.archives)


def test_touched_archive_is_rehashed_once_and_its_record_refreshed(tmp_path, src, hashes):
    bronze = tmp_path / "bronze"
    extract(src, bronze, plugins=fv.plugins())
    touched = src / fv.VENDOR / f"{DAY1}.7z"
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    version = DeltaTable(str(ledger_path(bronze))).version()
    hashes.clear()
    report = extract(src, bronze, plugins=fv.plugins())
    assert hashes == [touched.name] and report.archives_skipped == 2  # same content: skipped
    assert DeltaTable(str(ledger_path(bronze))).version() == version + 1  # one refresh commit
    row = _ledger(bronze).row(0, named=True)
    assert (row["archive_name"], row["mtime_ns"]) == (touched.name, touched.stat().st_mtime_ns)
    hashes.clear()
    extract(src, bronze, plugins=fv.plugins())
    assert hashes == []


def _stored_zip(path: Path, members: dict[str, bytes]) -> None:
    """An uncompressed zip with fixed member times: its size depends only on names and
    lengths."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 0, 0, 0)), data)


def test_same_size_and_mtime_with_new_content_needs_rehash(tmp_path, src, hashes):
    """The documented limit of the quick check (the one rsync and make share): a file rewritten
    in place with the same size and the same mtime is taken as unchanged unless rehash=True."""
    bronze = tmp_path / "bronze"
    path = src / fv.VENDOR / "bars_20240104.zip"
    _stored_zip(path, {"bars_20240104/AAA.csv": b"a,1\n", "bars_20240104/BBB.csv": b"b,1\n"})
    extract(src, bronze, plugins=fv.plugins())
    st = path.stat()
    _stored_zip(path, {"bars_20240104/AAA.csv": b"a,2\n", "bars_20240104/CCC.csv": b"c,2\n"})
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    quick = extract(src, bronze, plugins=fv.plugins())
    assert quick.archives_skipped == 3 and quick.members_published == 0
    forced = extract(src, bronze, plugins=fv.plugins(), rehash=True)
    new = next(a for a in forced.archives if a.archive_name == path.name)
    assert new.status == "success" and (new.members_published, new.members_existing) == (1, 1)


def test_size_and_mtime_are_not_kept_when_the_archive_changed_while_read(
    tmp_path, src, monkeypatch
):
    def hash_then_touch(path: Path) -> str:
        digest = sha256_file(path)
        st = Path(path).stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        return digest

    monkeypatch.setattr(runner_mod, "sha256_file", hash_then_touch)
    bronze = tmp_path / "bronze"
    assert extract(src, bronze, plugins=fv.plugins()).archives_succeeded == 2
    ledger = _ledger(bronze)
    assert ledger["size_bytes"].null_count() == ledger["mtime_ns"].null_count() == 2


def _write_old_ledger(path: Path, records: list[dict]) -> None:
    """A ledger as written before size_bytes and mtime_ns existed (the first 9 columns)."""
    old = attrs.evolve(UPSTREAM_LEDGER, columns=UPSTREAM_LEDGER.columns[:9])
    assert [c.name for c in old.columns][-1] == "updated_at_us"
    create_table(path, old)
    DeltaTable(str(path)).merge(
        pl.DataFrame(records, schema=old.polars_schema()),
        predicate="t.sha256 = s.sha256",
        source_alias="s",
        target_alias="t",
    ).when_not_matched_insert_all().execute()


def test_a_ledger_written_before_the_new_columns_keeps_working(tmp_path, src, hashes):
    bronze = tmp_path / "bronze"
    path = ledger_path(bronze)
    day1 = src / fv.VENDOR / f"{DAY1}.7z"
    _write_old_ledger(
        path,
        [
            {
                "vendor": fv.VENDOR,
                "archive_name": day1.name,
                "sha256": sha256_file(day1),
                "status": "success",
                "members_total": 2,
                "members_published": 2,
                "members_rejected": 0,
                "status_reason": None,
                "updated_at_us": 1,
            }
        ],
    )
    old = UpstreamLedger(path).frame()
    assert old.columns == list(UPSTREAM_LEDGER.column_names) and old["size_bytes"].is_null().all()

    report = extract(src, bronze, plugins=fv.plugins())
    assert {a.archive_name: a.status for a in report.archives} == {
        day1.name: "skipped",  # found by hash in the old ledger
        f"{DAY2}.7z": "success",
    }
    table = DeltaTable(str(path))
    check_table_schema(table, UPSTREAM_LEDGER, path)  # columns added in the spec's order
    ledger = _ledger(bronze)
    assert ledger.height == 2 and ledger["size_bytes"].null_count() == 0
    hashes.clear()
    assert extract(src, bronze, plugins=fv.plugins()).archives_skipped == 2 and hashes == []


def test_folders_are_flushed_before_success_is_recorded(tmp_path, src, monkeypatch):
    events: list[tuple[str, object]] = []
    real_fsync_dirs, real_upsert = runner_mod.fsync_dirs, UpstreamLedger.upsert

    def fsync_dirs(dirs, stop):  # noqa: ANN001, ANN202
        dirs = set(dirs)
        events.append(("fsync", dirs))
        return real_fsync_dirs(dirs, stop)

    def upsert(self, records):  # noqa: ANN001, ANN202
        events.append(("ledger", [r.status for r in records]))
        return real_upsert(self, records)

    monkeypatch.setattr(runner_mod, "fsync_dirs", fsync_dirs)
    monkeypatch.setattr(UpstreamLedger, "upsert", upsert)
    bronze = tmp_path / "bronze"
    extract(src, bronze, plugins=fv.plugins())
    day_dir = {bronze / fv.VENDOR / "date=20240102"}
    assert events[:2] == [("fsync", day_dir), ("ledger", ["success"])]
    assert [e[0] for e in events] == ["fsync", "ledger", "fsync", "ledger"]


def test_fsync_dirs_covers_new_parents_up_to_the_root(tmp_path):
    from pointline_core.upstream.publish import fsync_dirs

    deep = tmp_path / "root" / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "root" / "c").mkdir()
    n = fsync_dirs([deep, tmp_path / "root" / "c", tmp_path / "root" / "gone"], tmp_path / "root")
    assert n == 5  # root, a, a/b, c and the missing one (skipped when opened)


def test_cli_rehash_and_work_dir(tmp_path, src, hashes, monkeypatch, capsys):
    import pointline_core.plugins as plugins_mod
    from pointline_core.cli import build_parser

    build_parser()
    monkeypatch.setattr(plugins_mod, "load_plugins", lambda *a, **k: fv.plugins())
    bronze, work = tmp_path / "bronze", tmp_path / "scratch"
    assert cli_main(["extract", str(src), str(bronze), "--work-dir", str(work)]) == 0
    assert work.is_dir() and list(work.iterdir()) == []  # used, then cleaned
    assert "2 archives hashed" in capsys.readouterr().out
    assert cli_main(["extract", str(src), str(bronze)]) == 0
    assert "0 archives hashed" in capsys.readouterr().out
    assert cli_main(["extract", str(src), str(bronze), "--rehash"]) == 0
    assert "2 archives hashed" in capsys.readouterr().out


def test_an_old_lake_ledger_can_be_migrated_before_maintenance(tmp_path, src):
    """Compaction checks the exact schema; an old ledger is migrated by any write, or
    explicitly with UpstreamLedger.migrate() (maintenance holds the lock: take_lock=False)."""
    from pointline_core.errors import SchemaMismatchError
    from pointline_core.storage.lake import Lake
    from pointline_core.storage.maintenance import compact_partitions
    from pointline_core.upstream.ledger import open_ledger

    lake = Lake(tmp_path / "lake")
    ledger = open_ledger(tmp_path / "bronze", lake.root)
    _write_old_ledger(
        ledger.path,
        [
            {
                "vendor": fv.VENDOR,
                "archive_name": "x.7z",
                "sha256": "0" * 64,
                "status": "failed",
                "members_total": None,
                "members_published": None,
                "members_rejected": None,
                "status_reason": "truncated",
                "updated_at_us": 1,
            }
        ],
    )
    with pytest.raises(SchemaMismatchError, match="size_bytes"):
        compact_partitions(lake, "upstream_ledger", [{}], zone="control", min_files=1)
    assert ledger.migrate() is True and ledger.migrate() is False
    check_table_schema(DeltaTable(str(ledger.path)), UPSTREAM_LEDGER, ledger.path)
    compact_partitions(lake, "upstream_ledger", [{}], zone="control", min_files=1)
    assert ledger.frame()["status_reason"].to_list() == ["truncated"]
