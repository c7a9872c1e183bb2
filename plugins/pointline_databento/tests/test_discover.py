"""discover: both Bronze layouts, confirmed by the DBN header; everything else is reported.

Files are copies of Databento's real test files (their headers say GLBX.MDP3 or XNAS.ITCH),
so the header check runs on real metadata.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pointline_databento.naming import discover

from pointline_core.models import BronzeFile, Unrecognised


def _put(real_dir: Path, vendor: Path, real_name: str, rel: str) -> None:
    target = vendor / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real_dir / real_name, target)


def _run(bronze: Path) -> tuple[list[BronzeFile], dict[str, str]]:
    items = list(discover(bronze / "databento", bronze))
    files = [i for i in items if isinstance(i, BronzeFile)]
    other = {i.rel_path: i.reason for i in items if isinstance(i, Unrecognised)}
    return files, other


def test_both_layouts_are_found_with_their_data_types_and_meta(tmp_path, real_dir):
    vendor = tmp_path / "databento"
    _put(real_dir, vendor, "test_data.trades.v3.dbn.zst", "glbx-mdp3-20201228.trades.dbn.zst")
    _put(real_dir, vendor, "test_data.mbp-1.dbn", "GLBX.MDP3/mbp-1/2020-12-28.dbn")
    _put(real_dir, vendor, "test_data.mbo.v3.dbn.zst", "sub/glbx-mdp3-20201228.mbo.dbn.zst")
    files, other = _run(tmp_path)
    assert other == {}
    got = [(f.rel_path, f.data_type) for f in files]
    assert got == [
        ("databento/GLBX.MDP3/mbp-1/2020-12-28.dbn", "mbp-1"),
        ("databento/glbx-mdp3-20201228.trades.dbn.zst", "trades"),
        ("databento/sub/glbx-mdp3-20201228.mbo.dbn.zst", "mbo_orders"),
        ("databento/sub/glbx-mdp3-20201228.mbo.dbn.zst", "mbo_trades"),
    ]
    assert files[0].meta_dict() == {
        "dataset": "GLBX.MDP3",
        "date": "2020-12-28",
        "exchange": "glbx",
        "schema": "mbp-1",
    }
    assert all(f.path.is_absolute() for f in files)


def test_a_name_that_disagrees_with_its_header_is_unrecognised_with_both(tmp_path, real_dir):
    vendor = tmp_path / "databento"
    # trades records named as mbo; GLBX records filed under the Nasdaq dataset folder
    _put(real_dir, vendor, "test_data.trades.dbn", "glbx-mdp3-20201228.mbo.dbn")
    _put(real_dir, vendor, "test_data.trades.dbn", "XNAS.ITCH/trades/2020-12-28.dbn")
    files, other = _run(tmp_path)
    assert files == []
    assert other["databento/glbx-mdp3-20201228.mbo.dbn"] == (
        "name says dataset GLBX.MDP3 schema mbo but the DBN header says dataset GLBX.MDP3 "
        "schema trades: rename the file after its header (or re-download it)"
    )
    assert (
        "dataset XNAS.ITCH schema trades but the DBN header says dataset GLBX.MDP3"
        in (other["databento/XNAS.ITCH/trades/2020-12-28.dbn"])
    )


def test_not_ingested_schemas_unknown_names_and_broken_files_are_reported(tmp_path, real_dir):
    vendor = tmp_path / "databento"
    _put(
        real_dir, vendor, "test_data.definition.v3.dbn.zst", "xnas-itch-20211004.definition.dbn.zst"
    )
    _put(real_dir, vendor, "test_data.status.dbn", "glbx-mdp3-20201228.status.dbn")
    (vendor / "notes.txt").write_text("hello")
    (vendor / "trades.dbn").write_bytes(b"DBN")
    (vendor / "glbx-mdp3-20201228.trades.dbn").write_bytes(b"not dbn at all")
    (vendor / "opra-pillar-20201228.trades.dbn").write_bytes(
        (real_dir / "test_data.trades.dbn").read_bytes()
    )
    files, other = _run(tmp_path)
    # an unreadable header keeps the name's identity: parse fails the file with the reason
    assert [(f.rel_path, f.data_type) for f in files] == [
        ("databento/glbx-mdp3-20201228.trades.dbn", "trades")
    ]
    assert (
        "pointline symbols import FILE LAKE --vendor databento"
        in (other["databento/xnas-itch-20211004.definition.dbn.zst"])
    )
    assert other["databento/glbx-mdp3-20201228.status.dbn"].startswith("schema status: ")
    assert other["databento/notes.txt"] == "not a DBN file (.dbn.zst or .dbn)"
    assert other["databento/trades.dbn"].startswith("name matches neither a batch download")
    # a dataset this plugin has no exchange for (the header says GLBX: the name check first)
    assert "dataset OPRA.PILLAR" in other["databento/opra-pillar-20201228.trades.dbn"]


def test_a_missing_vendor_folder_yields_nothing(tmp_path):
    assert list(discover(tmp_path / "databento", tmp_path)) == []
