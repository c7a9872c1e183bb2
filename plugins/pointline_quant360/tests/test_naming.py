"""Archive names, member mapping and discovery of the extracted layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pointline_quant360 import naming
from pointline_quant360.discover import discover

from pointline_core.errors import ArchiveNameError, MemberRejected
from pointline_core.listing import BROKEN_LINK
from pointline_core.models import BronzeFile, Unrecognised
from pointline_core.upstream.publish import TEMP_PREFIX


@pytest.mark.parametrize(
    "name, fields",
    [
        ("order_new_STK_SZ_20240102.7z", ("order_new", "STK", "szse", dt.date(2024, 1, 2))),
        ("tick_new_STK_SH_20240102.7z", ("tick_new", "STK", "sse", dt.date(2024, 1, 2))),
        ("L2_new_STK_SZ_20240102.7z", ("L2_new", "STK", "szse", dt.date(2024, 1, 2))),
        ("order_new_ConFI_SH_20240102.7z", ("order_new", "ConFI", "sse", dt.date(2024, 1, 2))),
        ("L1_new_STK_SZ_20231229.7z", ("L1_new", "STK", "szse", dt.date(2023, 12, 29))),
    ],
)
def test_documented_names_are_recognised(name, fields):
    info = naming.recognize_archive(Path("/x") / name)
    f = info.fields_dict()
    assert (info.vendor, info.name, info.format) == ("quant360", name, "7z")
    assert (f["stream"], f["market"], f["exchange"], f["date"]) == (*fields[:3], str(fields[3]))


@pytest.mark.parametrize(
    "name, why",
    [
        ("l2_new_STK_SZ_20240102.7z", "case-sensitive"),
        ("order_new_stk_SZ_20240102.7z", "case-sensitive"),
        ("ORDER_NEW_STK_SZ_20240102.7z", "case-sensitive"),
        ("order_new_STK_SZ_20240102.7Z", "lower-case .7z"),
        ("order_new_STK_HK_20240102.7z", "not a Quant360 archive name"),
        ("order_new_STK_SZ_2024010.7z", "not a Quant360 archive name"),
        ("order_new_STK_SZ_20240230.7z", "not a calendar date"),
        ("order_new_STK_SZ_20240102.zip", "not a Quant360 archive name"),
        ("snapshot_STK_SZ_20240102.7z", "not a Quant360 archive name"),
    ],
)
def test_other_names_are_refused_with_the_rule(name, why):
    with pytest.raises(ArchiveNameError, match=why):
        naming.recognize_archive(Path(name))


ARCHIVE = naming.recognize_archive(Path("order_new_STK_SZ_20240102.7z"))


def test_member_maps_to_the_documented_bronze_path():
    target = naming.member_target(ARCHIVE, "order_new_STK_SZ_20240102/000001.csv")
    assert target.rel_path == (
        "exchange=szse/type=order_new/date=2024-01-02/symbol=000001/000001.csv.gz"
    )
    # basename decides; the directory part is not relied upon; .CSV is accepted
    assert naming.member_target(ARCHIVE, "other/dir/300750.CSV").rel_path.endswith(
        "symbol=300750/300750.csv.gz"
    )
    assert naming.member_target(ARCHIVE, "000001.csv").rel_path.endswith("000001.csv.gz")


def test_non_csv_members_are_ignored():
    assert naming.member_target(ARCHIVE, "order_new_STK_SZ_20240102/readme.txt") is None
    assert naming.member_target(ARCHIVE, "order_new_STK_SZ_20240102/000001.csv.bak") is None


@pytest.mark.parametrize(
    "member",
    [
        "order_new_STK_SZ_20240102/1.csv",
        "order_new_STK_SZ_20240102/000001.SZ.csv",
        "order_new_STK_SZ_20240102/0000011.csv",
        "order_new_STK_SZ_20240102/abcdef.csv",
        "order_new_STK_SZ_20240102/.csv",
        "../000001.csv",
        "/abs/000001.csv",
        "a//000001.csv",
        "a\\000001.csv",
    ],
)
def test_bad_symbols_and_malformed_paths_are_rejected(member):
    with pytest.raises(MemberRejected):
        naming.member_target(ARCHIVE, member)


def test_market_and_kind_from_code_ranges():
    assert naming.market_of("sse", "113050") == "ConFI"
    assert naming.market_of("szse", "127045") == "ConFI"
    assert naming.market_of("szse", "000001") == "STK"
    assert naming.instrument_kind("sse", "510300") == "fund"
    assert naming.instrument_kind("szse", "159915") == "fund"
    assert naming.instrument_kind("sse", "688981") == "star"
    assert naming.instrument_kind("sse", "000001") == "index"
    assert naming.instrument_kind("szse", "000001") == "stock"


def test_discover_yields_bronze_files_with_meta_and_explains_the_rest(tmp_path):
    root = tmp_path / "quant360"
    good = root / naming.bronze_rel_path("sse", "tick_new", "2024-01-02", "600000")
    l1 = root / naming.bronze_rel_path("szse", "L1_new", "2024-01-02", "000001")
    odd = root / "exchange=sse/type=tick_new/date=2024-01-02/symbol=600000/600001.csv.gz"
    stray = root / "notes.txt"
    temp = good.parent / f"{TEMP_PREFIX}123-abc-600000.csv.gz"
    for p in (good, l1, odd, stray, temp):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    found = list(discover(root, tmp_path))
    files = [f for f in found if isinstance(f, BronzeFile)]
    unrec = {u.rel_path: u.reason for u in found if isinstance(u, Unrecognised)}
    assert [f.rel_path for f in files] == [f"quant360/{good.relative_to(root).as_posix()}"]
    (f,) = files
    assert f.data_type == "tick_new" and f.path == good
    assert f.meta_dict() == {
        "exchange": "sse",
        "date": "2024-01-02",
        "symbol": "600000",
        "market": "STK",
    }
    assert "no documented column layout" in unrec[f"quant360/{l1.relative_to(root).as_posix()}"]
    assert "differs" in unrec[f"quant360/{odd.relative_to(root).as_posix()}"]
    assert "not a Quant360 Bronze file" in unrec["quant360/notes.txt"]
    assert not any(TEMP_PREFIX in k for k in unrec)  # temporaries are skipped silently
    assert list(discover(tmp_path / "missing", tmp_path)) == []


def test_a_plugin_finds_files_under_a_linked_folder(tmp_path):
    """quant360 walked with os.walk without following links: a date folder that was a link
    (a day kept on another disk) was skipped silently. The shared walk finds it."""
    elsewhere = tmp_path / "disk2"
    rel = naming.bronze_rel_path("sse", "tick_new", "2024-01-02", "600000")
    (elsewhere).mkdir()
    (elsewhere / Path(rel).name).write_bytes(b"")
    vendor = tmp_path / "quant360"
    link = vendor / Path(rel).parent
    link.parent.mkdir(parents=True)
    link.symlink_to(elsewhere, target_is_directory=True)
    (vendor / "broken.csv.gz").symlink_to(tmp_path / "nowhere")
    found = list(discover(vendor, tmp_path))
    assert [f.rel_path for f in found if isinstance(f, BronzeFile)] == [f"quant360/{rel}"]
    assert [(u.rel_path, u.reason) for u in found if isinstance(u, Unrecognised)] == [
        ("quant360/broken.csv.gz", BROKEN_LINK)
    ]
